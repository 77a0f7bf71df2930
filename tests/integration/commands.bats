#!/usr/bin/env bats
# The engine's remaining docker verbs: create, inspect/ps --format and
# --filter, stats, cp, port, info, system df/prune. Every test has its own
# --root and --runroot; the suite ends by checking nothing is left behind.

load lib/engine

setup_file() { engine_suite_setup commands; }
teardown_file() { engine_suite_teardown; }

status_of() { v inspect --format '{{.State.Status}}' "$1"; }

@test "create: prints the id, leaves the container created; start runs it detached" {
  run -0 v create --name c1 -e GREETING=hi busybox sh -c 'echo "$GREETING"; sleep 30'
  [[ $output =~ ^[0-9a-f]{64}$ ]]
  local id=$output
  [[ $(status_of c1) == created ]]
  run -0 v ps -a --format '{{.ID}} {{.Names}} {{.State}} {{.Status}}'
  [[ $output == "${id:0:12} c1 created Created" ]]
  # not running: ps without -a does not list it
  run -0 v ps -q
  [[ -z $output ]]
  run -0 v start c1
  [[ $(status_of c1) == running ]]
  run -0 v logs c1
  [[ $output == hi ]]
  run -0 v stop -t 0 c1
}

@test "create: start -a runs in the foreground with the container's exit code" {
  v create --name fg busybox sh -c 'echo out; exit 7' >/dev/null
  run -7 v start -a fg
  [[ $output == out ]]
  [[ $(status_of fg) == exited ]]
  [[ $(v inspect --format '{{.State.ExitCode}}' fg) == 7 ]]
}

@test "create: run's flags are parsed; bad input exits 125 and leaves nothing" {
  run -0 v create --name flags -w /tmp -u 65534 --hostname box --read-only busybox true
  run -0 v inspect --format '{{.Config.WorkingDir}} {{.Config.User}} {{.Config.Hostname}}' flags
  [[ $output == "/tmp 65534:65534 box" ]]
  v rm flags >/dev/null
  run -125 v create --nosuchflag busybox true
  run -125 v create --memory lots busybox true
  run -125 v create no-such-image true
  run -125 v create
  [[ $output == *"create: missing image"* ]]
  run -0 v create --help
  [[ $output == *"usage: vessel [global options] create"* && $output == *"--memory"* ]]
  [[ -z $(ls "$T/root/containers") && -z $(ls "$T/root/names") ]]
}

@test "inspect --format: fields, nested paths, json, index, literal text, several actions" {
  v import -c 'LABEL tier=web' -c 'LABEL owner=ops' "$SUITE_TMP/busybox.tar" labelled >/dev/null
  local id
  id=$(v run -d --name fmt labelled sleep 30)
  run -0 v inspect --format '{{.State.Status}}' fmt
  [[ $output == running ]]
  run -0 v inspect --format '{{.Id}}' fmt
  [[ $output == "$id" ]]
  run -0 v inspect -f 'name={{.Name}} pid={{.State.Pid}} cmd={{json .Config.Cmd}} first={{index .Config.Cmd 0}}' fmt
  [[ $output =~ ^name=fmt\ pid=[1-9][0-9]*\ cmd=\[\"sleep\",\"30\"\]\ first=sleep$ ]]
  run -0 v inspect --format '{{json .State}}' fmt
  jq -e '.Status == "running" and .Running == true' <<<"$output"
  run -0 v inspect --format '{{.Config.Cmd}} {{len .Config.Env}}' fmt
  [[ $output =~ ^\[sleep\ 30\]\ [0-9]+$ ]]
  # one line per container
  v create --name other busybox true >/dev/null
  run -0 v inspect --format '{{.Name}}:{{.State.Status}}' fmt other
  [[ $output == $'fmt:running\nother:created' ]]
  run -0 v image inspect --format '{{index .Config.Labels "tier"}} {{.Config.Labels.owner}} {{index .RepoTags 0}}' labelled
  [[ $output == "web ops labelled:latest" ]]
  run -0 v image inspect --format '{{json .Config.Labels}}' labelled
  jq -e '.tier == "web" and .owner == "ops"' <<<"$output"
  # an unknown field, a bad template: 125 and nothing printed on stdout
  run -125 --separate-stderr v inspect --format '{{.NoSuchField}}' fmt
  [[ -z $output && $stderr == *NoSuchField* ]]
  run -125 v inspect --format '{{.State.Status' fmt
  run -125 v inspect --format '{{if .State.Running}}up{{end}}' fmt
  run -125 v image inspect --format '{{.Nope}}' labelled
}

@test "ps --format: docker's field names, table with a header, json still works" {
  v run -d --name p1 busybox sleep 30 >/dev/null
  v create --name p2 busybox true >/dev/null
  run -0 v ps -a --format '{{.Names}} {{.Image}} {{.State}} {{.Command}}'
  [[ ${lines[0]} == 'p1 busybox running "sleep 30"' ]]
  [[ ${lines[1]} == 'p2 busybox created "true"' ]]
  run -0 v ps --format 'table {{.ID}}\t{{.Names}}\t{{.Status}}'
  [[ ${lines[0]} =~ ^CONTAINER\ ID\ +NAMES\ +STATUS$ ]]
  [[ ${lines[1]} =~ ^[0-9a-f]{12}\ +p1\ +Up\  ]]
  [[ ${#lines[@]} -eq 2 ]]
  run -0 v ps -a --format json
  jq -e 'length == 2' <<<"$output"
  run -125 v ps --format '{{.Nope}}'
  run -125 v ps --format 'nonsense'
}

@test "ps --filter: id, name, status, exited, ancestor, label; -n, -l, --no-trunc" {
  v import -c 'LABEL app=db' "$SUITE_TMP/busybox.tar" dbimg >/dev/null
  local up
  up=$(v run -d --name up1 busybox sleep 30)
  v run --name ok busybox true
  v run --name bad busybox sh -c 'exit 3' || true
  v create --name new dbimg true >/dev/null
  names() { v ps "$@" --format '{{.Names}}' | sort | tr '\n' ' '; }
  [[ $(names -a --filter status=exited) == "bad ok " ]]
  [[ $(names --filter status=created) == "new " ]]
  [[ $(names --filter status=running) == "up1 " ]]
  [[ $(names -a --filter exited=3) == "bad " ]]
  [[ $(names -a --filter exited=0) == "ok " ]]
  [[ $(names -a --filter "id=${up:0:8}") == "up1 " ]]
  [[ $(names -a --filter name=^u) == "up1 " ]]
  [[ $(names -a -f name=ok -f name=bad) == "bad ok " ]]
  [[ $(names -a -f status=exited -f name=bad) == "bad " ]]
  [[ $(names -a -f ancestor=dbimg) == "new " ]]
  [[ $(names -a -f ancestor=busybox:latest) == "bad ok up1 " ]]
  [[ $(names -a -f label=app) == "new " ]]
  [[ $(names -a -f label=app=db) == "new " ]]
  [[ $(v ps -a -f label=app --format '{{.Labels}}') == app=db ]]
  [[ -z $(names -a -f label=app=web) ]]
  [[ $(v ps -l --format '{{.Names}}') == new ]]
  [[ $(v ps -n 2 --format '{{.Names}}' | tr '\n' ' ') == "bad new " ]]
  run -0 v ps --no-trunc -q
  [[ $output == "$up" ]]
  run -0 v ps -q
  [[ $output == "${up:0:12}" ]]
  run -125 v ps --filter status=sleeping
  run -125 v ps --filter nosuchkey=1
  run -125 v ps --filter exited=x
  run -125 v ps --filter noequals
}

@test "stats --no-stream: CPU, memory limit, pids, the columns docker prints" {
  v run -d --name spin -m 64m busybox sh -c 'sleep 60 & sleep 60 & while :; do :; done' >/dev/null
  v run -d --name idle busybox sleep 60 >/dev/null
  sleep 0.5
  run -0 v stats --no-stream spin idle
  [[ ${lines[0]} =~ ^CONTAINER\ ID\ +NAME\ +CPU\ %\ +MEM\ USAGE\ /\ LIMIT\ +MEM\ %\ +NET\ I/O\ +BLOCK\ I/O\ +PIDS$ ]]
  [[ ${#lines[@]} -eq 3 ]]
  [[ ${lines[1]} == *spin* && ${lines[1]} == *" / 64MiB"* ]]
  run -0 v stats --no-stream --format json spin
  jq -e '.Name == "spin" and .PIDs == "3" and (.MemUsage | endswith(" / 64MiB"))
         and .NetIO == "0B / 0B" and (.CPUPerc | rtrimstr("%") | tonumber) > 10' <<<"$output"
  run -0 v stats --no-stream --format '{{.Name}} {{.PIDs}}' idle
  [[ $output == "idle 1" ]]
  # without names: the running ones; -a adds the others, with zeros
  v create --name notyet busybox true >/dev/null
  run -0 v stats --no-stream --format '{{.Name}}'
  [[ $(sort <<<"$output" | tr '\n' ' ') == "idle spin " ]]
  run -0 v stats -a --no-stream --format '{{.Name}}={{.PIDs}} {{.CPUPerc}}'
  [[ $output == *"notyet=0 0.00%"* ]]
  run -125 v stats --no-stream no-such-container
  run -125 v stats --no-stream --format '{{.Nope}}' idle
}

@test "stats: a live table on a terminal, refreshed every second" {
  v run -d --name live busybox sleep 60 >/dev/null
  run env SHELL=/bin/sh script -qec "timeout -s INT 3 $VESSEL --root $T/root --runroot $T/run stats live" /dev/null </dev/null
  local n
  n=$(grep -c 'CONTAINER ID' <<<"$output")
  ((n >= 2))
  [[ $output == *$'\e[2J'* && $output == *live* ]]
  # piped, one sample and it ends
  run -0 timeout 10 "${VR[@]}" stats live
  [[ ${#lines[@]} -eq 2 ]]
}

@test "cp: into and out of a running container, files and directories, modes kept" {
  v run -d --name cpr busybox sleep 60 >/dev/null
  mkdir -p "$T/src/tree/sub"
  echo hello >"$T/src/file"
  chmod 4750 "$T/src/file"
  echo deep >"$T/src/tree/sub/deep"
  ln -s deep "$T/src/tree/sub/link"
  chown 1234:1234 "$T/src/tree/sub/deep"
  run -0 v cp "$T/src/file" cpr:/tmp/file
  run -0 v exec cpr sh -c 'cat /tmp/file; stat -c "%a %u:%g" /tmp/file'
  [[ $output == $'hello\n4750 0:0' ]]
  # into an existing directory: under its name; owners: root unless -a
  run -0 v cp "$T/src/tree" cpr:/tmp
  run -0 v exec cpr sh -c 'cat /tmp/tree/sub/deep; stat -c "%u" /tmp/tree/sub/deep; readlink /tmp/tree/sub/link'
  [[ $output == $'deep\n0\ndeep' ]]
  run -0 v cp -a "$T/src/tree" cpr:/tmp/kept
  [[ $(v exec cpr sh -c 'stat -c %u:%g /tmp/kept/sub/deep') == 1234:1234 ]]
  # out: a file, a directory, the contents of a directory (DIR/.)
  v exec cpr sh -c 'mkdir -p /out/d && echo made >/out/d/f && chmod 640 /out/d/f'
  run -0 v cp cpr:/out/d/f "$T/f.out"
  [[ $(cat "$T/f.out") == made && $(stat -c %a "$T/f.out") == 640 ]]
  run -0 v cp cpr:/out "$T/outdir"
  [[ $(cat "$T/outdir/d/f") == made ]]
  mkdir "$T/contents"
  run -0 v cp cpr:/out/. "$T/contents"
  [[ $(cat "$T/contents/d/f") == made ]]
  # a setuid file of the container's is no setuid file of the host's, unless -a
  run -0 v cp cpr:/tmp/file "$T/suid.out"
  [[ $(stat -c %a "$T/suid.out") == 750 ]]
  run -0 v cp -a cpr:/tmp/file "$T/suid.kept"
  [[ $(stat -c %a "$T/suid.kept") == 4750 ]]
  # relative container paths start at its /
  run -0 v cp cpr:out/d/f "$T/rel.out"
  [[ $(cat "$T/rel.out") == made ]]
}

@test "cp: a symlink in the container never leads to the host" {
  local marker
  marker=vessel-cp-escape-$$-$BATS_TEST_NUMBER
  v run -d --name esc busybox sh -c 'ln -s /etc /data; ln -s ../../../../../etc /rel; ln -s /etc/passwd /pw; sleep 60' >/dev/null
  sleep 0.3
  echo evil >"$T/evil"
  # writing through the links lands in the container's /etc
  run -0 v cp "$T/evil" "esc:/data/$marker"
  run -0 v cp "$T/evil" "esc:/rel/$marker.2"
  [[ ! -e /etc/$marker && ! -e /etc/$marker.2 ]]
  run -0 v exec esc cat "/etc/$marker" "/etc/$marker.2"
  [[ $output == $'evil\nevil' ]]
  # `..` last would step out of the root's fd
  run -125 v cp esc:/.. "$T/up"
  run -125 v cp esc:/etc/../.. "$T/up"
  run -125 v cp "$T/evil" esc:/..
  [[ ! -e $T/up ]]
  # reading through them gives the container's files, not the host's
  run -0 v cp esc:/rel/passwd "$T/passwd.out"
  cmp "$T/passwd.out" <(v exec esc cat /etc/passwd)
  refute cmp -s "$T/passwd.out" /etc/passwd
  # a link copied out stays a link (to a path that means the container's)
  run -0 v cp esc:/pw "$T/pw.out"
  [[ -L $T/pw.out ]]
  # -L copies what it names, followed inside the root, under the link's name
  v exec esc sh -c 'ln -s /pw /pw2'
  run -0 v cp -L esc:/pw2 "$T/pw.followed"
  [[ ! -L $T/pw.followed ]] && cmp "$T/pw.followed" "$T/passwd.out"
  run -0 bash -c "$(printf '%q ' "${VR[@]}") cp -L esc:/pw2 - | tar -tvf -"
  [[ $output == -rw*' pw2' ]] || { echo "$output" >&2; return 1; }
  run -0 v cp -L esc:/rel "$T/"
  [[ -d $T/rel && ! -L $T/rel ]] && cmp "$T/rel/passwd" "$T/passwd.out"
  # and from the host, the host's link is followed
  ln -s "$T/evil" "$T/evil.link"
  run -0 v cp -L "$T/evil.link" esc:/tmp/
  run -0 v exec esc sh -c 'test ! -L /tmp/evil.link && cat /tmp/evil.link'
  [[ $output == evil ]]
  # the same when the container is stopped (its root mounted privately)
  v stop -t 0 esc >/dev/null
  run -0 v cp "$T/evil" "esc:/data/$marker.3"
  [[ ! -e /etc/$marker.3 ]]
  run -0 v cp esc:/rel/passwd "$T/passwd.stopped"
  run -125 v cp esc:/.. "$T/up"
  [[ ! -e $T/up ]]
  cmp "$T/passwd.out" "$T/passwd.stopped"
  v start esc >/dev/null
  run -0 v exec esc cat "/etc/$marker.3"
  [[ $output == evil ]]
}

@test "cp: a stopped container, both ways; errors exit 125" {
  v create --name cold busybox cat /etc/fromhost >/dev/null
  echo warm >"$T/fromhost"
  run -0 v cp "$T/fromhost" cold:/etc/fromhost
  run -0 v start -a cold
  [[ $output == warm ]]
  run -0 v cp cold:/etc/fromhost "$T/back"
  [[ $(cat "$T/back") == warm ]]
  # nothing stays mounted after a copy from a stopped container
  refute grep -q "$T/root/containers" /proc/self/mountinfo
  run -125 v cp cold:/no/such/file "$T/x"
  run -125 v cp "$T/no-such-file" cold:/tmp/
  run -125 v cp "$T/fromhost" nosuchcontainer:/tmp/
  run -125 v cp "$T/fromhost" "$T/other"
  [[ $output == *CONTAINER:PATH* ]]
  run -125 v cp "$T/fromhost" cold:/nodir/
  run -125 v cp cold:/etc "$T/fromhost"
}

@test "cp -: a tar stream out of and into a container, unpacked without following links" {
  v run -d --name tarc busybox sh -c 'mkdir -p /srv/d && echo in >/srv/d/f && ln -s f /srv/d/l; sleep 60' >/dev/null
  sleep 0.3
  run -0 bash -c "timeout 60 ${VR[*]} cp tarc:/srv - | tar -tvf -"
  [[ $output == *" srv/d/f"* && $output == *"srv/d/l -> f"* ]]
  mkdir -p "$T/tin/x/y"
  echo streamed >"$T/tin/x/y/z"
  tar -C "$T/tin" -cf - x | v cp - tarc:/srv
  run -0 v exec tarc cat /srv/x/y/z
  [[ $output == streamed ]]
  # a link, then an entry through it: refused, nothing written outside
  local marker=vessel-cp-tar-$$
  mkdir -p "$T/evil"
  ln -s /etc "$T/evil/esc"
  mkdir "$T/evil/escx"
  echo evil >"$T/evil/escx/$marker"
  tar -C "$T/evil" -cf "$T/evil.tar" esc
  tar -C "$T/evil" -rf "$T/evil.tar" --transform 's,^escx,esc,' "escx/$marker"
  run -125 v cp - tarc:/srv <"$T/evil.tar"
  [[ ! -e /etc/$marker ]]
  run -1 v exec tarc cat "/etc/$marker"
  # `..` in a name
  echo x >"$T/evil/dd"
  tar -C "$T/evil" -P --transform "s,^,../../../../tmp/$marker," -cf "$T/dd.tar" dd
  run -125 v cp - tarc:/srv <"$T/dd.tar"
  [[ $output == *".."* ]]
  refute ls /tmp/"$marker"* 2>/dev/null
  run -125 v cp - tarc:/srv/d/f <"$T/dd.tar"
}

@test "port, info, system df, system prune" {
  v run -d --name svc busybox sleep 60 >/dev/null
  run -0 v port svc
  [[ -z $output ]]
  run -125 v port no-such-container
  run -0 v info
  [[ $output == *"Storage Driver: overlay"* && $output == *"Root Dir: $T/root"* ]]
  [[ $output == *"Containers: 1"* && $output == *" Running: 1"* && $output == *"Images: 1"* ]]
  run -0 v info --format json
  jq -e --arg root "$T/root" '.Root == $root and .Driver == "overlay" and .ContainersRunning == 1
         and .Images == 1 and .NCPU > 0 and .MemTotal > 0
         and (.CgroupLayout | IN("v1", "hybrid", "v2"))' <<<"$output"
  run -0 v system info --format '{{.Containers}} {{.Driver}}'
  [[ $output == "1 overlay" ]]
  run -0 v system df
  [[ ${lines[0]} =~ ^TYPE\ +TOTAL\ +ACTIVE\ +SIZE\ +RECLAIMABLE$ ]]
  [[ ${lines[1]} =~ ^Images\ +1\ +1\  ]]
  [[ ${lines[2]} =~ ^Containers\ +1\ +1\  ]]
  run -0 v system df --format json
  jq -se '.[0].Type == "Images" and .[1].TotalCount == "1"' <<<"$output"
  # prune: stopped containers and dangling images go, running ones stay
  v run --name done1 busybox true
  v create --name done2 busybox true >/dev/null
  v import "$SUITE_TMP/busybox.tar" spare >/dev/null
  run -0 v system prune </dev/null # no answer: nothing removed
  [[ $(v ps -aq | wc -l) -eq 3 ]]
  run -0 v system prune -f
  [[ $output == *"Deleted Containers:"* ]]
  [[ $(v ps -a --format '{{.Names}}') == svc ]]
  # spare is tagged: it stays without -a, goes with it; busybox is in use
  run -0 v images -q
  [[ $(wc -l <<<"$output") -ge 1 ]]
  run -0 v system prune -af
  run -0 v images --format json
  jq -e 'map(.Name) | index("spare:latest") == null and index("busybox:latest") != null' <<<"$output"
  [[ $(status_of svc) == running ]]
  # --volumes: the anonymous volumes no container uses go, named ones stay
  v volume create keepme >/dev/null
  v run -v /data busybox true
  [[ $(v volume ls -q | wc -l) -eq 2 ]]
  run -0 v system prune -f --volumes
  [[ $output == *"Deleted Volumes:"* ]]
  [[ $(v volume ls -q) == keepme ]]
  v volume rm keepme
  run -125 v system nosuchverb
}

@test "flags may follow the container, as docker's, but not run's or exec's command" {
  v run -d --name late busybox sh -c 'echo one; echo two; sleep 100' >/dev/null
  sleep 0.3
  [[ $(v inspect late --format '{{.State.Status}}') == running ]]
  [[ $(v logs late --tail 1) == two ]]
  run -0 v exec late echo -n --tail
  [[ $output == --tail ]]
  run -0 v run --rm busybox echo -e 'a\tb'
  [[ $output == $'a\tb' ]]
  run -125 v logs late --no-such-flag
  [[ $output == *"unknown flag"* ]]
  v stop late -t 0 >/dev/null
  v rm late -f >/dev/null
  run -0 v ps -a -q
  [[ -z $output ]]
}

@test "commands: the suite left no mounts, cgroups or processes behind" {
  engine_assert_clean
  run ! ls /etc/vessel-cp-escape-* /etc/vessel-cp-tar-*
}
