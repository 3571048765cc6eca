package cli

import (
	"encoding/binary"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pion/webrtc/v4"

	"peercall/call"
	"peercall/rtc/invite"
	"peercall/rtc/rtctest"
)

func run(t *testing.T, cmd func([]string, Streams) error, args []string, stdin string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut strings.Builder
	err := cmd(args, Streams{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errOut})
	if err != nil {
		errOut.WriteString(err.Error())
	}
	return out.String(), errOut.String(), ExitCode(err)
}

func TestCodeDecodeEncodeRoundTrip(t *testing.T) {
	code, _ := rtctest.Invite(t)
	out, errOut, status := run(t, Code, []string{"decode", code}, "")
	if status != 0 {
		t.Fatalf("decode failed (%d): %s", status, errOut)
	}
	var desc webrtc.SessionDescription
	if err := json.Unmarshal([]byte(out), &desc); err != nil {
		t.Fatalf("decode printed %q: %v", out, err)
	}
	if desc.Type != webrtc.SDPTypeOffer || !strings.Contains(desc.SDP, "a=fingerprint:sha-256 ") ||
		!strings.Contains(desc.SDP, "m=application") {
		t.Fatalf("not the offer the invite stands for:\n%s", desc.SDP)
	}
	again, errOut, status := run(t, Code, []string{"encode"}, out)
	if status != 0 {
		t.Fatalf("encode failed (%d): %s", status, errOut)
	}
	if strings.TrimSpace(again) != code {
		t.Errorf("round trip changed the code:\n%s\n%s", code, again)
	}
	// Reading the code from stdin, wrapped in quotes and line breaks.
	wrapped := "\"" + code[:30] + "\n" + code[30:] + "\"\n"
	if out2, errOut, status := run(t, Code, []string{"decode", "-"}, wrapped); status != 0 || out2 != out {
		t.Errorf("decode from stdin: status %d, %s", status, errOut)
	}
}

func TestCodeEncodeAnswerNeedsTheInvite(t *testing.T) {
	inviteText, _ := rtctest.Invite(t)
	reply, _ := rtctest.Join(t, inviteText)
	answer, _, status := run(t, Code, []string{"decode", reply}, "")
	if status != 0 {
		t.Fatal("reply does not decode")
	}
	if _, errOut, status := run(t, Code, []string{"encode"}, answer); status != 2 || !strings.Contains(errOut, "--invite") {
		t.Errorf("encoding an answer without --invite: status %d, %q", status, errOut)
	}
	out, errOut, status := run(t, Code, []string{"encode", "--invite", inviteText}, answer)
	if status != 0 || strings.TrimSpace(out) != reply {
		t.Errorf("encode with --invite: status %d %s, got %q want %q", status, errOut, out, reply)
	}
}

func TestBadInputsGetActionableErrors(t *testing.T) {
	code, _ := rtctest.Invite(t)
	dir := t.TempDir()
	notClip := filepath.Join(dir, "not.y4m")
	os.WriteFile(notClip, []byte("\x89PNG\r\n\x1a\n"), 0o644)
	speech22k := filepath.Join(dir, "speech.wav")
	os.WriteFile(speech22k, wav22k(), 0o644)
	damaged := code[:len(code)-3] + "zzz"
	if damaged == code {
		damaged = code[:len(code)-3] + "yyy"
	}
	for _, tc := range []struct {
		name   string
		cmd    func([]string, Streams) error
		args   []string
		stdin  string
		status int
		want   error
		words  string
	}{
		{"decode garbage", Code, []string{"decode", "hello there"}, "", 1, invite.ErrNotCode, ""},
		{"decode damaged", Code, []string{"decode", damaged}, "", 1, invite.ErrDamaged, ""},
		{"encode not json", Code, []string{"encode"}, "v=0", 1, nil, "not a session description"},
		{"unknown action", Code, []string{"frobnicate"}, "", 2, nil, "decode or encode"},
		{"join damaged", Join, []string{"--stun", "none", damaged}, "", 1, invite.ErrDamaged, ""},
		{"join empty stdin", Join, []string{"--stun", "none", "-"}, "\n\n", 1, nil, "no invite code"},
		{"bad size", Invite, []string{"--size", "640by480"}, "", 2, nil, "WxH"},
		{"odd size", Join, []string{"--size", "641x480", code}, "", 2, nil, "even"},
		{"bad source", Invite, []string{"--source", "webcam"}, "", 2, nil, "camera, pattern or a file name ending in .y4m"},
		{"clip that is not one", Invite, []string{"--stun", "none", "--source", notClip}, "", 1, nil, "not.y4m: not a 4:2:0 Y4M clip"},
		{"clip not there", Invite, []string{"--stun", "none", "--source", dir + "/gone.y4m"}, "", 1, nil, "no such file"},
		{"sound at 22 kHz", Invite, []string{"--stun", "none", "--audio-source", speech22k}, "", 1, nil, "22050 Hz"},
		{"bad audio source", Invite, []string{"--audio-source", "speech.mp3"}, "", 2, nil, "a file name ending in .wav"},
		{"video out not y4m", Invite, []string{"--video-out", "out.mp4"}, "", 2, nil, "ending in .y4m"},
		{"video out nowhere", Invite, []string{"--stun", "none", "--video-out", dir + "/no/out.y4m"}, "", 1, nil, "--video-out"},
		{"turn without password", Invite, []string{"--turn", "turn:203.0.113.5:3478", "--turn-user", "u"}, "", 2, nil, "--turn-pass"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, errOut, status := run(t, tc.cmd, tc.args, tc.stdin)
			if status != tc.status {
				t.Errorf("status %d, want %d (%s)", status, tc.status, errOut)
			}
			if tc.want != nil && !strings.Contains(errOut, tc.want.Error()) {
				t.Errorf("stderr %q lacks %q", errOut, tc.want.Error())
			}
			if tc.words != "" && !strings.Contains(errOut, tc.words) {
				t.Errorf("stderr %q lacks %q", errOut, tc.words)
			}
			if status == 1 && strings.Contains(strings.TrimSpace(errOut), "\n") {
				t.Errorf("stderr is more than one line: %q", errOut)
			}
		})
	}
}

func TestICEServersFromFlags(t *testing.T) {
	servers := func(args ...string) []webrtc.ICEServer {
		t.Helper()
		var f callFlags
		if err := newCallFlagSet("invite", &f, io.Discard).Parse(args); err != nil {
			t.Fatal(err)
		}
		o, err := f.options()
		if err != nil {
			t.Fatal(err)
		}
		return call.ICEServers(o.STUN, o.TURN, o.TURNUser, o.TURNPass)
	}
	got := servers("--stun", "198.51.100.7:3478", "--stun", "none", "--turn", "203.0.113.9:3478", "--turn-user", "u", "--turn-pass", "p")
	if len(got) != 2 || got[0].URLs[0] != "stun:198.51.100.7:3478" || got[1].URLs[0] != "turn:203.0.113.9:3478" ||
		got[1].Username != "u" || got[1].Credential != "p" {
		t.Errorf("servers %+v", got)
	}
	if got := servers("--stun", "none"); len(got) != 0 {
		t.Errorf("--stun none gave %+v", got)
	}
	if got := servers(); len(got) != 1 || got[0].URLs[0] != call.DefaultSTUN {
		t.Errorf("default servers %+v", got)
	}
}

// wav22k is a short 16-bit mono WAV file at 22050 Hz, espeak-ng's rate.
func wav22k() []byte {
	b := []byte("RIFF\x00\x00\x00\x00WAVEfmt \x10\x00\x00\x00")
	b = binary.LittleEndian.AppendUint16(b, 1) // PCM
	b = binary.LittleEndian.AppendUint16(b, 1)
	b = binary.LittleEndian.AppendUint32(b, 22050)
	b = binary.LittleEndian.AppendUint32(b, 44100)
	b = binary.LittleEndian.AppendUint16(b, 2)
	b = binary.LittleEndian.AppendUint16(b, 16)
	b = append(b, "data\x08\x00\x00\x00"...)
	b = append(b, make([]byte, 8)...)
	binary.LittleEndian.PutUint32(b[4:], uint32(len(b)-8))
	return b
}

// Lines come whole up to a megabyte, with or without a final line end or
// a carriage return; a longer line is cut and the next still comes.
func TestReadLines(t *testing.T) {
	huge := strings.Repeat("x", maxLine+100)
	in := "first\r\n\n" + strings.Repeat("é", 40000) + "\n" + huge + "\nafter\nlast"
	var got []string
	for line := range readLines(t.Context(), strings.NewReader(in)) {
		got = append(got, line)
	}
	want := []string{"first", "", strings.Repeat("é", 40000), huge[:maxLine], "after", "last"}
	if len(got) != len(want) {
		t.Fatalf("%d lines, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("line %d: %d bytes %q…, want %d bytes", i, len(got[i]), got[i][:min(len(got[i]), 20)], len(want[i]))
		}
	}
}
