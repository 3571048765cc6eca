#!/usr/bin/env bash
# make bench: measures Peercall on this machine and rewrites the generated
# section of BENCHMARKS.md and benchmarks.json. With --soak, a 30-minute
# call instead, written to the soak section; with --windows, the Windows
# cross-build's times and sizes, written to their own section; with
# --screen, how soon a shared screen's changed page is readable, written
# to its own section.
#
# Not part of make test: these are measurements, not pass/fail checks.
set -euo pipefail
cd "$(dirname "$0")/.."

GO=${GO:-go}
out=bin/bench
mkdir -p "$out"
$GO build -o bin/peercall .

if [ "${1:-}" = "--soak" ]; then
	minutes=${SOAK_MINUTES:-30}
	echo "soak: a ${minutes}-minute two-way call on loopback"
	bin/peercall bench --size 640x480 --seconds $((minutes * 60)) --sample 60 >"$out/soak.json"
	bin/peercall bench report --dir "$out" --soak
	echo "soak section of BENCHMARKS.md and benchmarks.json written"
	exit 0
fi

if [ "${1:-}" = "--screen" ]; then
	# Screen sharing: a changed page of text, timed until readable at the
	# other side of a call on loopback, and its parts alone. Timings swing
	# with the machine's load: the load average goes with them.
	echo "screen: a shared 1920x1080 screen of text in a call on loopback (about a minute)"
	cut -d' ' -f1 /proc/loadavg >"$out/screen-load.txt"
	{
		$GO test -run '^$' -bench 'ScreenChangeReadable' -benchtime 1x -count 1 -v -timeout 5m ./rtc
		$GO test -run '^$' -bench 'ScreenCapture|ScreenPageChange' -count 1 ./media ./media/vp8
	} >"$out/screen.txt" 2>&1 || { echo "   it failed: see $out/screen.txt"; tail -5 "$out/screen.txt"; exit 1; }
	cut -d' ' -f1 /proc/loadavg >>"$out/screen-load.txt"
	grep '^Benchmark' "$out/screen.txt" || true
	bin/peercall bench report --dir "$out" --screen
	echo "screen sharing section of BENCHMARKS.md and benchmarks.json written"
	exit 0
fi

if [ "${1:-}" = "--windows" ]; then
	# make windows from an empty build directory (the Go modules stay
	# downloaded), then again with nothing changed.
	build=$(mktemp -d /tmp/peercall-windows-bench.XXXXXX)
	trap 'rm -rf "$build"' EXIT
	now() { date +%s.%N; }
	secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a - b }'; }
	echo "bench-windows: a cold Windows build in $build (minutes), then a warm one"
	t0=$(now)
	WINDOWS_BUILD_DIR=$build ./scripts/windows.sh deps
	t1=$(now)
	WINDOWS_BUILD_DIR=$build ./scripts/windows.sh zip "$build/cold.zip"
	t2=$(now)
	WINDOWS_BUILD_DIR=$build ./scripts/windows.sh zip "$build/Peercall-windows-amd64.zip"
	t3=$(now)
	libs=$(cut -d' ' -f1,2 "$build"/deps/prefix/stamps/* | paste -sd, | sed 's/,/, /g')
	cat >"$out/windows.json" <<-EOF
		{"cold_seconds": $(secs "$t2" "$t0"), "libraries_seconds": $(secs "$t1" "$t0"),
		 "warm_seconds": $(secs "$t3" "$t2"),
		 "exe_bytes": $(stat -c %s "$build/release/Peercall.exe"),
		 "zip_bytes": $(stat -c %s "$build/Peercall-windows-amd64.zip"),
		 "libraries": "$libs"}
	EOF
	bin/peercall bench report --dir "$out" --windows
	echo "Windows build section of BENCHMARKS.md and benchmarks.json written"
	exit 0
fi

# The photographs the picture-quality benchmarks film (BenchmarkDenoiser,
# BenchmarkCallQuality).
if ! dpkg-query -W -f='${Status}' mate-backgrounds 2>/dev/null | grep -q "install ok installed"; then
	echo "bench: installing mate-backgrounds (photographs for the picture-quality benchmarks)" >&2
	sudo=""
	[ "$(id -u)" = 0 ] || sudo="sudo"
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends mate-backgrounds >&2
fi

# e2e_calls BENCH TIMEOUT NAME: one of e2e's call benchmarks, as root (its
# network namespaces) under the test sound server; its log goes to
# NAME.txt and its figures, written as each call ends, to NAME.json.
e2e_calls() {
	local bench=$1 timeout=$2 name=$3
	rm -f "$out/$name.json" "$out/$name.txt"
	if [ "$(id -u)" != 0 ]; then
		echo "   skipped: not root"
		return
	fi
	./scripts/with-sound.sh $GO test -run '^$' -bench "$bench" -benchtime 1x -count 1 -timeout "$timeout" ./e2e \
		-args "-$name-out" "$PWD/$out/$name.json" >"$out/$name.txt" 2>&1 &&
		echo "   done" || { echo "   a call failed (what it measured is kept): see $out/$name.txt"; tail -5 "$out/$name.txt"; }
}

# window_bench: the window under Xvfb in a 640x480 and a 720p call: CPU
# and memory of the app, how soon pictures reach the screen (read off it),
# and the window's CPU and heap profiles in prof-window/ (pprof tops in
# prof-window-*.txt).
window_bench() {
	rm -f "$out/window.txt"
	if [ "$(id -u)" != 0 ]; then
		echo "   skipped: not root"
		return
	fi
	rm -rf "$out/prof-window"
	./scripts/with-sound.sh $GO test -run '^$' -bench 'WindowCall' -benchtime 1x -count 1 -timeout 10m ./e2e \
		-args -window-prof "$PWD/$out/prof-window" | tee "$out/window.txt" | grep '^Benchmark' || true
	for size in 640x480 1280x720; do
		[ -f "$out/prof-window/window-$size.cpu.pprof" ] &&
			$GO tool pprof -top -cum -nodecount 60 bin/peercall "$out/prof-window/window-$size.cpu.pprof" >"$out/prof-window-$size.txt" 2>/dev/null || true
	done
}

# --window: this section alone, then the report from what bin/bench holds
# (the other sections as the last full run left them; missing ones are left
# out of BENCHMARKS.md).
if [ "${1:-}" = "--window" ]; then
	echo "the window under Xvfb (needs root for its network namespace)"
	window_bench
	bin/peercall bench report --dir "$out"
	echo "BENCHMARKS.md and benchmarks.json written"
	exit 0
fi

# --file: the file-transfer figures alone, written to bin/bench/file.json
# and bin/bench/filecap.json (the report is not rewritten: a full run folds
# them in).
if [ "${1:-}" = "--file" ]; then
	echo "a 50 MB file through a two-way 640x480 call on loopback"
	bin/peercall bench file >"$out/file.json"
	cat "$out/file.json"
	echo "a 2.5 MB file through the call over a 2 Mbit/s link (needs root for the network namespaces)"
	e2e_calls FileOverACappedLink 5m filecap
	[ -f "$out/filecap.json" ] && cat "$out/filecap.json"
	exit 0
fi

echo "1/8 Go benchmarks (encoder, decoder, denoiser, receive path, conversion, codes, audio, echo cancellation in simulated rooms)"
$GO test -run '^$' -bench . -benchmem -count 1 \
	./media/vp8 ./media/yuv ./media ./media/opus ./media/playout ./media/aec ./media/aec/res ./media/aec/room ./media/aec/aec2 ./rtc/invite | tee "$out/go.txt" | grep '^Benchmark' || true

echo "2/8 the window under Xvfb (needs root for its network namespace)"
window_bench

echo "3/8 calls over lossy and capped links, a minute each (needs root for the network namespaces)"
e2e_calls ImpairedLinks 30m links

echo "4/8 picture quality: camera-like clips through calls on a clean and a lossy link, 30 s each (needs root)"
e2e_calls CallQuality 20m quality

echo "5/8 two-process calls, 30 s each, with CPU profiles"
for size in 640x480 1280x720; do
	bin/peercall bench --size "$size" --seconds 30 --profile-dir "$out/prof-$size" >"$out/call-$size.json"
	$GO tool pprof -top -cum -nodecount 1000 -nodefraction 0 -edgefraction 0 "$out/prof-$size/inviter.cpu.pprof" >"$out/prof-$size.txt" 2>/dev/null
	echo "   $size done"
done

# Chromium right after Peercall's own 640x480 call, on the same machine in
# the same run: the anchor for Peercall's CPU per peer.
echo "6/8 Chromium in the same two-way 640x480 call (needs root for its network namespace)"
rm -f "$out/chromium.txt"
if [ "$(id -u)" = 0 ]; then
	$GO test -run '^$' -bench 'ChromiumCall640x480' -benchtime 1x -count 1 -v -timeout 5m ./e2e >"$out/chromium.txt" 2>&1 &&
		grep '^Benchmark.*cpu' "$out/chromium.txt" || { echo "   it failed: see $out/chromium.txt"; tail -5 "$out/chromium.txt"; }
else
	echo "   skipped: not root"
fi

# The network-change tests of make test, in the NAT bed, each writing how
# soon each side's picture came back to recovery.jsonl.
echo "7/8 recovery from network changes, about 20 s each (needs root for the NAT bed)"
rm -f "$out/recovery.jsonl" "$out/recovery.txt"
if [ "$(id -u)" = 0 ]; then
	./scripts/with-sound.sh $GO test -run '^(TestNetChange.*|TestNATNoPathResumesWithNewCodes)$' -v -count 1 -timeout 15m ./e2e \
		-args -recovery-out "$PWD/$out/recovery.jsonl" >"$out/recovery.txt" 2>&1 &&
		echo "   done" || { echo "   a test failed (what it saw is kept): see $out/recovery.txt"; grep -E '^\s*--- FAIL' "$out/recovery.txt" || true; }
	grep -E 'picture back|NOT BACK|never stopped|pictures again' "$out/recovery.txt" | sed 's/^ */   /' || true
else
	echo "   skipped: not root"
fi

minutes=${DRIFT_MINUTES:-10}
echo "8/8 memory through a ${minutes}-minute call"
bin/peercall bench --size 640x480 --seconds $((minutes * 60)) --sample 60 >"$out/drift.json"

# Codes made on this machine and, as root, on typical machines built as
# network namespaces: their lengths (issue 14).
echo "codes: invite and reply lengths on this machine and on typical machines (root for the namespaces)"
bin/peercall bench codes >"$out/codes.json" || echo "   it failed"

# A file sent during a call: its throughput and the call's frame rate
# meanwhile (about 15 s).
echo "file: a 50 MB file through a two-way 640x480 call on loopback"
bin/peercall bench file >"$out/file.json" || { echo "   it failed"; rm -f "$out/file.json"; }
# The same over a 2 Mbit/s link, narrower than the video and the file
# together: the video's target while the file probes (about a minute).
echo "file: a 2.5 MB file through a two-way 640x480 call over a 2 Mbit/s link (needs root for the network namespaces)"
e2e_calls FileOverACappedLink 5m filecap

bin/peercall bench report --dir "$out"
echo "BENCHMARKS.md and benchmarks.json written"
