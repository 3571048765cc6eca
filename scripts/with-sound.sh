#!/usr/bin/env bash
# Runs a command with a private PulseAudio server whose only sink is a null
# sink (its monitor is the default microphone, so what is played comes back
# as an echo), then stops the server. Tests that need sound then require it.
set -euo pipefail

dir=$(mktemp -d /tmp/peercall-pulse.XXXXXX)
chmod 700 "$dir"
export XDG_RUNTIME_DIR="$dir"
unset PULSE_SERVER
stop() {
	pulseaudio --kill >/dev/null 2>&1 || true
	rm -rf "$dir"
}
trap stop EXIT
if pulseaudio --start --exit-idle-time=-1 -n \
	--load=module-native-protocol-unix \
	--load="module-null-sink sink_name=nullsink" \
	--load=module-always-sink >/dev/null 2>&1; then
	export PEERCALL_REQUIRE_SOUND=1
else
	echo "with-sound: PulseAudio did not start; tests needing sound will be skipped" >&2
fi
"$@"
