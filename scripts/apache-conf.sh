#!/bin/sh
# apache-conf.sh TOP PORT CGLEVER_CONFIG RUNDIR USER: prints an Apache 2.4
# configuration (mod_fcgid) serving the three FastCGI programs at
# /cgi-bin/NAME.fcgi on 127.0.0.1:PORT. Used by the tests; INSTALL shows
# the same directives for an existing Apache host.
set -eu
top=$1 port=$2 conf=$3 run=$4 user=$5
mods=/usr/lib/apache2/modules
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
LoadModule alias_module $mods/mod_alias.so
LoadModule fcgid_module $mods/mod_fcgid.so
<IfModule !unixd_module>
LoadModule unixd_module $mods/mod_unixd.so
</IfModule>
User $user
Group $user
DocumentRoot "$run"
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
