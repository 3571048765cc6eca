package cli

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"peercall/call"
	"peercall/call/profile"
	"peercall/media"
)

// TurnPassEnv is the environment variable the TURN password is read from
// when --turn-pass is not given.
const TurnPassEnv = "PEERCALL_TURN_PASS"

// callFlags are the flags invite and join share.
type callFlags struct {
	source      string
	camera      string
	size        string
	fps         int
	seconds     float64
	statsFile   string
	lastPicture string
	videoOut    string
	shareScreen bool
	screenOut   string
	stun        listFlag
	interfaces  listFlag
	turn        listFlag
	turnUser    string
	turnPass    string
	audioSource string
	audioOut    string
	aec         string
	verbose     bool
	profile     profile.Flags
	sendFile    string // --send-file (files.go)
	acceptFiles string // --accept-files
}

type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func newCallFlagSet(name string, f *callFlags, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.source, "source", "camera", "video source: camera (the camera-off picture when there is none), pattern, or a FILE.y4m clip (looped, at its own size and rate)")
	fs.StringVar(&f.camera, "camera", "", "camera device id (default: the first camera)")
	fs.StringVar(&f.size, "size", "640x480", "picture size WxH")
	fs.IntVar(&f.fps, "fps", call.DefaultFPS, "frames a second")
	fs.Float64Var(&f.seconds, "seconds", 0, "end the call this many seconds after it connected (0: until interrupted or the peer hangs up)")
	fs.StringVar(&f.statsFile, "stats", "", "write statistics as JSON lines to this file, one a second and a final summary")
	fs.StringVar(&f.lastPicture, "last-picture", "", "when the call ends, write the last picture received from the other side to this PNG file")
	fs.StringVar(&f.videoOut, "video-out", "", "write every picture received from the other side to this FILE.y4m (at the first picture's size)")
	fs.BoolVar(&f.shareScreen, "share-screen", false, "share the screen of $DISPLAY (X11) beside the video source, at 15 frames a second")
	fs.StringVar(&f.screenOut, "screen-picture", "", "when the call ends, write the last picture of the screen the other side shared to this PNG file")
	fs.Var(&f.stun, "stun", "STUN server URL (repeatable; \"none\" for host candidates only; default "+call.DefaultSTUN+")")
	fs.Var(&f.interfaces, "interface", "gather host candidates only on this network interface (repeatable; for example lo)")
	fs.Var(&f.turn, "turn", "TURN server URL (repeatable)")
	fs.StringVar(&f.turnUser, "turn-user", "", "TURN user name")
	fs.StringVar(&f.turnPass, "turn-pass", "", "TURN password (or set "+TurnPassEnv+", which other users cannot see in the process list)")
	fs.StringVar(&f.audioSource, "audio-source", "tone", "audio to send: tone (440 Hz, with a timing mark each second), mic, none, or a FILE.wav (16-bit 48 kHz, looped)")
	fs.StringVar(&f.audioOut, "audio-out", "none", "where the other side's audio goes: default (the speaker), none, or a FILE.wav")
	fs.StringVar(&f.aec, "aec", "on", "echo cancellation with noise suppression: on or off")
	fs.BoolVar(&f.verbose, "verbose", false, "log more detail to stderr")
	f.profile.Register(fs)
	registerFileFlags(fs, f)
	return fs
}

// options checks the flag values and turns them into the call's options.
func (f *callFlags) options() (call.Options, error) {
	var o call.Options
	w, h, err := call.ParseSize(f.size)
	if err != nil {
		return o, fmt.Errorf("--size: %w", err)
	}
	o.Width, o.Height, o.FPS = w, h, f.fps
	if f.fps < 1 || f.fps > 60 {
		return o, fmt.Errorf("--fps %d: use 1 to 60", f.fps)
	}
	if f.seconds < 0 {
		return o, fmt.Errorf("--seconds must not be negative")
	}
	switch src := f.source; {
	case src == "camera":
		o.Video, o.Camera = call.VideoCamera, f.camera
	case src == "pattern":
		o.Video = call.VideoPattern
	case hasExt(src, ".y4m"):
		o.Video, o.ClipFile = call.VideoClip, src
	default:
		return o, fmt.Errorf("--source %q: use camera, pattern or a file name ending in .y4m", src)
	}
	switch src := f.audioSource; {
	case src == "tone":
		o.Audio = call.AudioTone
	case src == "mic":
		o.Audio = call.AudioMic
	case src == "none":
		o.Audio = call.AudioNone
	case hasExt(src, ".wav"):
		o.Audio, o.WAVFile = call.AudioWAV, src
	default:
		return o, fmt.Errorf("--audio-source %q: use tone, mic, none or a file name ending in .wav", src)
	}
	switch out := f.audioOut; {
	case out == "default":
		o.Output = call.OutputSpeaker
	case out == "none":
		o.Output = call.OutputNone
	case hasExt(out, ".wav"):
		o.Output, o.OutputFile = call.OutputFile, out
	default:
		return o, fmt.Errorf("--audio-out %q: use default, none or a file name ending in .wav", out)
	}
	switch f.aec {
	case "on":
		o.EchoCancel = true
	case "off":
	default:
		return o, fmt.Errorf("--aec %q: use on or off", f.aec)
	}
	if f.lastPicture != "" && !hasExt(f.lastPicture, ".png") {
		return o, fmt.Errorf("--last-picture %q: use a file name ending in .png", f.lastPicture)
	}
	if f.videoOut != "" && !hasExt(f.videoOut, ".y4m") {
		return o, fmt.Errorf("--video-out %q: use a file name ending in .y4m", f.videoOut)
	}
	if f.screenOut != "" && !hasExt(f.screenOut, ".png") {
		return o, fmt.Errorf("--screen-picture %q: use a file name ending in .png", f.screenOut)
	}
	if f.shareScreen {
		if err := media.ScreenSharingAvailable(); err != nil {
			return o, fmt.Errorf("--share-screen: %s", screenSharingProblem(err))
		}
	}
	if f.turnPass == "" {
		f.turnPass = os.Getenv(TurnPassEnv)
	}
	if len(f.turn) > 0 && (f.turnUser == "" || f.turnPass == "") {
		return o, fmt.Errorf("--turn needs --turn-user and --turn-pass (or %s)", TurnPassEnv)
	}
	if len(f.stun) > 0 {
		o.STUN = f.stun
	}
	o.TURN, o.TURNUser, o.TURNPass = f.turn, f.turnUser, f.turnPass
	o.Interfaces = f.interfaces
	if err := f.checkFileFlags(); err != nil {
		return o, err
	}
	return o, nil
}

// hasExt tells whether a file name ends in ext, in any case.
func hasExt(name, ext string) bool { return strings.HasSuffix(strings.ToLower(name), ext) }
