# The scanner's view of a namespace holding every kind of object equals
# what ipcs and ls /dev/shm show.
source "$(dirname "$0")/../harness.sh"
ipcg_sandbox

# SysV objects of every kind, keyed (ipcmk picks random keys, negative
# ones included) and private (the test module, from a live httpd)
for i in 1 2 3; do ipcmk -S $i >/dev/null; ipcmk -M $((i * 4096)) >/dev/null; ipcmk -Q >/dev/null; done
ipcmk -M 8192 -p 0600 >/dev/null
WITH_GUARD=0 httpd_conf srv <<'CONF'
IPCGTestPostConfig sem
IPCGTestPostConfig shm
IPCGTestPostConfig msg
IPCGTestPostConfig sem 4242
CONF
WITH_GUARD=0 httpd_start srv || fail "test server starts"
reply=$(http srv "/ipcg-test?make=shm&attach=1")
check_match "a child made and attached a segment" '^sysv-shm [0-9]+ 0 [0-9]+' "$reply"

# POSIX objects: named shm, a named semaphore, hostile names; a symlink
# and a directory are no objects
printf x > /dev/shm/ShM.abc
printf yy > /dev/shm/sem.apache
printf z > '/dev/shm/<img src=x onerror=alert(1)>'
printf z > "/dev/shm/$(printf 'new\nline\xff')"
ln -s /etc/passwd /dev/shm/link
mkdir /dev/shm/dir

list=$("$CTL" list)

# sem: id key perms nsems
exp=$(ipcs_rows -s | awk '{ print $1, $2, $3, $4 }' | sort)
got=$(awk -F'\t' '$1 == "sysv-sem" { print $2, $3, substr($7, 2), $8 }' <<<"$list" | sort)
check_eq "semaphore sets: ids, keys, modes, nsems as ipcs -s" "$exp" "$got"
check_cmp "semaphore sets are there to compare" "$(wc -l <<<"$exp")" -ge 5

# shm: id key perms bytes nattch
exp=$(ipcs_rows -m | sort)
got=$(awk -F'\t' '$1 == "sysv-shm" { print $2, $3, substr($7, 2), $8, $9 }' <<<"$list" | sort)
check_eq "segments: ids, keys, modes, sizes, nattch as ipcs -m" "$exp" "$got"
check_match "an attached segment shows nattch 1" ' 1$' "$got"

# msg: id key perms
exp=$(ipcs_rows -q | awk '{ print $1, $2, $3 }' | sort)
got=$(awk -F'\t' '$1 == "sysv-msg" { print $2, $3, substr($7, 2) }' <<<"$list" | sort)
check_eq "queues: ids, keys, modes as ipcs -q" "$exp" "$got"

# creators as ipcs -c shows them
exp=$(ipcs -s -c | awk '$1 ~ /^[0-9]+$/ { print $1, $3 }' | sort)
got=$(awk -F'\t' '$1 == "sysv-sem" { print $2, ($6 == 0 ? "root" : $6) }' <<<"$list" | sed 's/ 33$/ www-data/' | sort)
check_eq "semaphore creators as ipcs -c" "$exp" "$got"

# /dev/shm: every regular file, and nothing else
got=$(awk -F'\t' '$1 ~ /^posix-/ { print $1, $12 }' <<<"$list" | sort)
check_match "ShM.abc is posix-shm" '^posix-shm ShM\.abc$' "$got"
check_match "sem.apache is posix-sem" '^posix-sem sem\.apache$' "$got"
check_match "a markup name is listed escaped, one line" '^posix-shm <img\\x20src=x\\x20onerror=alert\(1\)>$' "$got"
check_match "a name with a newline and a non-UTF-8 byte stays one line" '^posix-shm new\\x0aline\\xff$' "$got"
check_nomatch "no symlink or directory" 'link|dir$' "$got"
check_eq "as many POSIX objects as regular files in /dev/shm" \
  "$(find /dev/shm -maxdepth 1 -type f -printf . | wc -c)" "$(wc -l <<<"$got")"
sizes=$(awk -F'\t' '$1 == "posix-sem" { print $8 }' <<<"$list")
check_eq "a POSIX object's size is its file size" "2" "$sizes"

httpd_stop srv
finish
