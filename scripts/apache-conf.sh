#!/bin/sh
# Prints an Apache 2.4 configuration serving the three FastCGI programs at
# /NAME.fcgi and /cgi-bin/NAME.fcgi on 127.0.0.1:PORT, Apache's children
# running as www-data. INSTALL shows the same directives for an existing
# Apache host.
#   apache-conf.sh proxy PORT RUNDIR SOCKDIR
#     mod_proxy_fcgi to SOCKDIR/NAME.sock: the programs run apart, as their
#     own user (scripts/cglever-spawn); what the tests use.
#   apache-conf.sh TOP PORT CGLEVER_CONFIG RUNDIR USER
#     mod_fcgid: Apache starts TOP/cgi-bin/NAME.fcgi itself, as USER (the
#     layout where the programs run as the web server's user; make bench).
set -eu
mods=/usr/lib/apache2/modules
if [ "$1" = proxy ]; then
	port=$2 run=$3 sock=$4 user=www-data
else
	top=$1 port=$2 conf=$3 run=$4 user=$5
fi
cat <<CONF
ServerRoot "$run"
ServerName 127.0.0.1
Listen 127.0.0.1:$port
PidFile "$run/apache.pid"
DefaultRuntimeDir "$run"
Mutex file:$run
ErrorLog "$run/apache.err"
LogLevel warn
LoadModule mpm_event_module $mods/mod_mpm_event.so
LoadModule authz_core_module $mods/mod_authz_core.so
<IfModule !unixd_module>
LoadModule unixd_module $mods/mod_unixd.so
</IfModule>
User $user
Group $user
DocumentRoot "$run"
CONF
if [ "$1" = proxy ]; then
	# PATH_INFO is what follows NAME.fcgi, as the programs expect it. One
	# worker per URL form (its own name), both on the program's socket.
	cat <<CONF
LoadModule proxy_module $mods/mod_proxy.so
LoadModule proxy_fcgi_module $mods/mod_proxy_fcgi.so
LoadModule setenvif_module $mods/mod_setenvif.so
SetEnvIf Request_URI "^(/cgi-bin)?/(webhook|oauth|admin)\\.fcgi" proxy-fcgi-pathinfo=first-dot
CONF
	for name in webhook oauth admin; do
		printf 'ProxyPass "/%s.fcgi" "unix:%s/%s.sock|fcgi://cglever-%s/%s.fcgi"\n' \
			"$name" "$sock" "$name" "$name" "$name"
		printf 'ProxyPass "/cgi-bin/%s.fcgi" "unix:%s/%s.sock|fcgi://cglever-cgi-bin-%s/%s.fcgi"\n' \
			"$name" "$sock" "$name" "$name" "$name"
	done
	echo '<LocationMatch "^(/cgi-bin)?/(webhook|oauth|admin)\.fcgi">'
	echo '    Require all granted'
	echo '</LocationMatch>'
else
	cat <<CONF
LoadModule alias_module $mods/mod_alias.so
LoadModule fcgid_module $mods/mod_fcgid.so
FcgidIPCDir "$run/fcgid"
FcgidProcessTableFile "$run/fcgid.shm"
FcgidInitialEnv CGLEVER_CONFIG $conf
FcgidMaxProcessesPerClass 4
FcgidMaxRequestLen 1048576
ScriptAlias /cgi-bin/ "$top/cgi-bin/"
ScriptAliasMatch "^/(webhook|oauth|admin)\\.fcgi(.*)\$" "$top/cgi-bin/\$1.fcgi\$2"
<Directory "$top/cgi-bin">
    SetHandler fcgid-script
    Options +ExecCGI
    Require all granted
</Directory>
CONF
fi
# The admin and OAuth pages behind sign-in ($AUTH_HTPASSWD: an htpasswd file).
if [ -n "${AUTH_HTPASSWD:-}" ]; then
	cat <<CONF
LoadModule authn_core_module $mods/mod_authn_core.so
LoadModule authn_file_module $mods/mod_authn_file.so
LoadModule auth_basic_module $mods/mod_auth_basic.so
LoadModule authz_user_module $mods/mod_authz_user.so
<LocationMatch "^(/cgi-bin)?/(admin|oauth)\\.fcgi">
    AuthType Basic
    AuthName "cglever"
    AuthUserFile "$AUTH_HTPASSWD"
    Require valid-user
</LocationMatch>
CONF
fi
