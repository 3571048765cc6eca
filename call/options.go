package call

import (
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	"peercall/media"
	"peercall/media/sound"
)

// VideoSource is what the call sends as its picture.
type VideoSource string

// The video sources.
const (
	// VideoCamera is the camera; with none (or none that works) the
	// "camera off" picture is sent and the call goes on.
	VideoCamera VideoSource = "camera"
	// VideoPattern is the moving test pattern, time-stamped for latency
	// measurement.
	VideoPattern VideoSource = "pattern"
	// VideoClip is a Y4M clip (Options.ClipFile), looped at its own frame
	// rate and picture size: a camera whose pictures are known, for
	// measuring a call.
	VideoClip VideoSource = "clip"
)

// AudioSource is what the call sends as its sound.
type AudioSource string

// The audio sources.
const (
	AudioMic  AudioSource = "mic"  // the microphone, echo-cancelled when asked
	AudioTone AudioSource = "tone" // 440 Hz with a latency mark each second
	AudioNone AudioSource = "none" // no sound
	AudioWAV  AudioSource = "wav"  // a 48 kHz WAV file (Options.WAVFile), looped
)

// AudioOutput is where the other side's sound goes.
type AudioOutput string

// The audio outputs.
const (
	OutputSpeaker AudioOutput = "speaker" // the speaker (nowhere, if there is none)
	OutputNone    AudioOutput = "none"    // nowhere; the sound is still received and measured
	OutputFile    AudioOutput = "file"    // a 48 kHz mono WAV file, Options.OutputFile
)

// Defaults filled in by Open for zero Options fields.
const (
	DefaultWidth  = 640
	DefaultHeight = 480
	DefaultFPS    = 30
)

// Options are a call's plain settings, as either front-end gathers them
// (the window from its settings, the command line from its flags). Zero
// values take the defaults documented on each field.
type Options struct {
	// Video is the picture source; "" means VideoCamera.
	Video VideoSource
	// ClipFile is the clip VideoClip sends.
	ClipFile string
	// Camera is the camera's device id; "" is the first camera.
	Camera string
	// CameraOff starts the call with the camera off (a person who chose
	// "no camera"); the camera can be turned on during the call.
	CameraOff bool
	// Width, Height and FPS are the picture size and rate sent (defaults
	// 640×480 at 30); a clip's own size and rate replace them.
	Width, Height, FPS int

	// Audio is the sound sent; "" means AudioMic.
	Audio AudioSource
	// WAVFile is the sound file AudioWAV sends.
	WAVFile string
	// Microphone is the microphone's device id; "" is the system default.
	Microphone string
	// Output is where the other side's sound goes; "" means OutputSpeaker.
	Output AudioOutput
	// OutputFile is the WAV file for OutputFile.
	OutputFile string
	// Speaker is the speaker's device id; "" is the system default.
	Speaker string
	// EchoCancel runs echo cancellation, noise suppression and automatic
	// gain between the speaker and the microphone.
	EchoCancel bool

	// STUN lists STUN servers ("stun:host:port", or host:port); nil means
	// DefaultSTUN, and an entry "none" means no STUN server at all.
	STUN []string
	// TURN lists TURN servers, with TURNUser and TURNPass as credentials.
	TURN               []string
	TURNUser, TURNPass string
	// Interfaces limits host candidates to these network interfaces
	// (for example "lo"); nil means all.
	Interfaces []string

	// Logger receives the call's and the engine's logs; nil discards them.
	Logger *slog.Logger
	// VideoSink receives the other side's decoded pictures, SelfView every
	// picture sent; nil for none.
	VideoSink, SelfView media.VideoSink
	// ScreenSink receives the pictures of a screen the other side shares
	// (nil: VideoSink does); see rtc.Config.ScreenSink.
	ScreenSink media.VideoSink

	// OpenCamera opens a camera; nil uses the camera driver
	// (media.NewCameraSource). Tests put a camera of their own here.
	OpenCamera func(id string, width, height, fps int) (media.VideoSource, error)
	// OpenSound connects to the sound server; nil uses sound.Open.
	OpenSound func() (*sound.System, error)
}

// check validates the options and fills the defaults.
func (o *Options) check() error {
	if o.Video == "" {
		o.Video = VideoCamera
	}
	if o.Audio == "" {
		o.Audio = AudioMic
	}
	if o.Output == "" {
		o.Output = OutputSpeaker
	}
	if o.Width == 0 && o.Height == 0 {
		o.Width, o.Height = DefaultWidth, DefaultHeight
	}
	if o.FPS == 0 {
		o.FPS = DefaultFPS
	}
	switch o.Video {
	case VideoCamera, VideoPattern:
	case VideoClip:
		if err := o.checkClip(); err != nil {
			return err
		}
	default:
		return fmt.Errorf("video source %q: use camera, pattern or clip", o.Video)
	}
	switch o.Audio {
	case AudioMic, AudioTone, AudioNone:
	case AudioWAV:
		if o.WAVFile == "" {
			return fmt.Errorf("sound from a file needs the file's name")
		}
	default:
		return fmt.Errorf("audio source %q: use mic, tone, none or wav", o.Audio)
	}
	switch o.Output {
	case OutputSpeaker, OutputNone:
	case OutputFile:
		if o.OutputFile == "" {
			return fmt.Errorf("audio output to a file needs the file's name")
		}
	default:
		return fmt.Errorf("audio output %q: use speaker, none or file", o.Output)
	}
	if err := checkSize(o.Width, o.Height); err != nil {
		return err
	}
	if o.FPS < 1 || o.FPS > 60 {
		return fmt.Errorf("frame rate %d: use 1 to 60", o.FPS)
	}
	if len(o.TURN) > 0 && (o.TURNUser == "" || o.TURNPass == "") {
		return ErrTURNCredentials
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.OpenCamera == nil {
		o.OpenCamera = openCamera
	}
	if o.OpenSound == nil {
		o.OpenSound = sound.Open
	}
	return nil
}

// checkClip reads the clip's first picture, so that a file that is not a
// clip is refused before the call starts, and takes its size and rate.
func (o *Options) checkClip() error {
	if o.ClipFile == "" {
		return fmt.Errorf("a clip as the picture needs the file's name")
	}
	clip, err := media.NewClipSource(o.ClipFile, o.FPS)
	if err != nil {
		return err
	}
	o.Width, o.Height = clip.Size()
	o.FPS = min(clip.FPS(), 60)
	return clip.Close()
}

// openCamera opens a camera through the camera driver, handing back a nil
// interface, never a nil *CameraSource inside one, when there is none.
func openCamera(id string, width, height, fps int) (media.VideoSource, error) {
	cam, err := media.NewCameraSource(id, width, height, fps)
	if err != nil {
		return nil, err
	}
	return cam, nil
}

// ParseSize reads a picture size given as WxH (even numbers, 16×16 up to
// 3840×2160), as the --size flags and the settings give it.
func ParseSize(s string) (width, height int, err error) {
	ws, hs, ok := strings.Cut(strings.ToLower(strings.TrimSpace(s)), "x")
	w, errW := strconv.Atoi(ws)
	h, errH := strconv.Atoi(hs)
	if !ok || errW != nil || errH != nil || checkSize(w, h) != nil {
		return 0, 0, fmt.Errorf("picture size %q: use WxH with even numbers, such as 640x480", s)
	}
	return w, h, nil
}

func checkSize(w, h int) error {
	if w < 16 || h < 16 || w > 3840 || h > 2160 || w%2 != 0 || h%2 != 0 {
		return fmt.Errorf("picture size %dx%d: use even numbers from 16x16 to 3840x2160", w, h)
	}
	return nil
}
