# cglever where systemd does not run: the sweep every minute and a backup
# every day, as the cglever user. Where systemd runs, the timers
# cglever-sweep.timer and cglever-backup.timer do this work and these
# lines do nothing. Their output goes to syslog, tagged cglever-sweep and
# cglever-backup (the sweep says nothing when nothing failed).
SHELL=/bin/sh
PATH=/usr/sbin:/usr/bin:/sbin:/bin
* * * * * cglever [ -d /run/systemd/system ] || /usr/sbin/cglever-ctl sweep 2>&1 | logger -t cglever-sweep
17 3 * * * cglever [ -d /run/systemd/system ] || /usr/lib/cglever/cglever-backup 2>&1 | logger -t cglever-backup
