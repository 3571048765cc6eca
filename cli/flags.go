package headless

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/pion/webrtc/v4"
)

// TurnPassEnv is the environment variable the TURN password is read from
// when --turn-pass is not given.
const TurnPassEnv = "PEERCALL_TURN_PASS"

// DefaultSTUN is the STUN server used when no --stun flag is given.
const DefaultSTUN = "stun:stun.l.google.com:19302"

// callFlags are the flags invite and join share.
type callFlags struct {
	source      string
	size        string
	width       int
	height      int
	fps         int
	seconds     float64
	statsFile   string
	stun        listFlag
	interfaces  listFlag
	turn        listFlag
	turnUser    string
	turnPass    string
	audioSource string
	audioOut    string
	aec         string
	camera      string
	verbose     bool
	profile     ProfileFlags
}

type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func newCallFlagSet(name string, f *callFlags, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.source, "source", "camera", "video source: camera (falls back to the pattern when there is none) or pattern")
	fs.StringVar(&f.camera, "camera", "", "camera device id (default: the first camera)")
	fs.StringVar(&f.size, "size", "640x480", "picture size WxH")
	fs.IntVar(&f.fps, "fps", 30, "frames a second")
	fs.Float64Var(&f.seconds, "seconds", 0, "end the call this many seconds after it connected (0: until interrupted or the peer hangs up)")
	fs.StringVar(&f.statsFile, "stats", "", "write statistics as JSON lines to this file, one a second and a final summary")
	fs.Var(&f.stun, "stun", "STUN server URL (repeatable; \"none\" for host candidates only)")
	fs.Var(&f.interfaces, "interface", "gather host candidates only on this network interface (repeatable; for example lo)")
	fs.Var(&f.turn, "turn", "TURN server URL (repeatable)")
	fs.StringVar(&f.turnUser, "turn-user", "", "TURN user name")
	fs.StringVar(&f.turnPass, "turn-pass", "", "TURN password (or set "+TurnPassEnv+", which other users cannot see in the process list)")
	fs.StringVar(&f.audioSource, "audio-source", "tone", "audio to send: tone (440 Hz, with a timing mark each second), mic, or none")
	fs.StringVar(&f.audioOut, "audio-out", "none", "where the other side's audio goes: default (the speaker), none, or a FILE.wav")
	fs.StringVar(&f.aec, "aec", "on", "echo cancellation with noise suppression and automatic gain: on or off")
	fs.BoolVar(&f.verbose, "verbose", false, "log more detail to stderr")
	f.profile.Register(fs)
	return fs
}

// check validates the flag values and fills the derived ones.
func (f *callFlags) check() error {
	w, h, err := ParseSize(f.size)
	if err != nil {
		return err
	}
	f.width, f.height = w, h
	if f.fps < 1 || f.fps > 60 {
		return fmt.Errorf("--fps %d: use 1 to 60", f.fps)
	}
	if f.seconds < 0 {
		return fmt.Errorf("--seconds must not be negative")
	}
	switch f.source {
	case "camera", "pattern":
	default:
		return fmt.Errorf("--source %q: use camera or pattern", f.source)
	}
	switch f.audioSource {
	case "tone", "mic", "none":
	default:
		return fmt.Errorf("--audio-source %q: use tone, mic or none", f.audioSource)
	}
	if f.audioOut == "" {
		return fmt.Errorf("--audio-out: use default, none or a file name ending in .wav")
	}
	if f.audioOut != "default" && f.audioOut != "none" && !strings.HasSuffix(strings.ToLower(f.audioOut), ".wav") {
		return fmt.Errorf("--audio-out %q: use default, none or a file name ending in .wav", f.audioOut)
	}
	if f.aec != "on" && f.aec != "off" {
		return fmt.Errorf("--aec %q: use on or off", f.aec)
	}
	if f.turnPass == "" {
		f.turnPass = os.Getenv(TurnPassEnv)
	}
	if len(f.turn) > 0 && (f.turnUser == "" || f.turnPass == "") {
		return fmt.Errorf("--turn needs --turn-user and --turn-pass (or %s)", TurnPassEnv)
	}
	return nil
}

// ParseSize reads a picture size given as WxH (even numbers, up to
// 3840x2160), as the --size flags take it.
func ParseSize(s string) (int, int, error) {
	ws, hs, ok := strings.Cut(strings.ToLower(s), "x")
	w, errW := strconv.Atoi(ws)
	h, errH := strconv.Atoi(hs)
	if !ok || errW != nil || errH != nil || w < 16 || h < 16 || w > 3840 || h > 2160 || w%2 != 0 || h%2 != 0 {
		return 0, 0, fmt.Errorf("--size %q: use WxH with even numbers, such as 640x480", s)
	}
	return w, h, nil
}

// iceServers turns the flags into the session's server list.
func (f *callFlags) iceServers() []webrtc.ICEServer {
	var servers []webrtc.ICEServer
	stun := []string(f.stun)
	if len(stun) == 0 {
		stun = []string{DefaultSTUN}
	}
	for _, u := range stun {
		if u == "none" {
			continue
		}
		if !strings.HasPrefix(u, "stun:") && !strings.HasPrefix(u, "stuns:") {
			u = "stun:" + u
		}
		servers = append(servers, webrtc.ICEServer{URLs: []string{u}})
	}
	for _, u := range f.turn {
		if !strings.HasPrefix(u, "turn:") && !strings.HasPrefix(u, "turns:") {
			u = "turn:" + u
		}
		servers = append(servers, webrtc.ICEServer{URLs: []string{u}, Username: f.turnUser, Credential: f.turnPass})
	}
	return servers
}
