#!/bin/sh
# lighttpd-conf.sh TOP PORT CGLEVER_CONFIG RUNDIR [PROCS]: prints a lighttpd
# configuration serving the three FastCGI programs on 127.0.0.1:PORT, at
# /NAME.fcgi and /cgi-bin/NAME.fcgi. Used by `make run` and the tests.
set -eu
top=$1 port=$2 conf=$3 run=$4 procs=${5:-2}
cat <<CONF
server.document-root = "$run"
server.bind = "127.0.0.1"
server.port = $port
server.errorlog = "$run/lighttpd.err"
server.max-request-size = 1024
server.modules = ( "mod_rewrite", "mod_auth", "mod_authn_file", "mod_fastcgi" )
# The programs answer at /NAME.fcgi and, for Apache-like URLs, /cgi-bin/NAME.fcgi.
url.rewrite-once = ( "^/cgi-bin/([a-z]+\\.fcgi.*)$" => "/\$1" )
CONF
# The admin and OAuth pages trust the web server's authentication:
# $AUTH_USERFILE holds "user:password" lines (lighttpd's plain backend).
if [ -n "${AUTH_USERFILE:-}" ]; then
	cat <<CONF
auth.backend = "plain"
auth.backend.plain.userfile = "$AUTH_USERFILE"
\$HTTP["url"] =~ "^(/cgi-bin)?/(admin|oauth)\\.fcgi" {
  auth.require = ( "" => ( "method" => "basic", "realm" => "cglever", "require" => "valid-user" ) )
}
CONF
fi
printf 'fastcgi.server = (\n'
for name in webhook oauth admin; do
	printf '  "/%s.fcgi" => (( "bin-path" => "%s/cgi-bin/%s.fcgi", "socket" => "%s/%s.sock",\n' \
		"$name" "$top" "$name" "$run" "$name"
	printf '      "max-procs" => %s, "check-local" => "disable",\n' "$procs"
	printf '      "bin-environment" => ( "CGLEVER_CONFIG" => "%s" ) )),\n' "$conf"
done
printf ')\n'
