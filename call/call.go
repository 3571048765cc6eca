// Package call is one Peercall call as both front-ends use it: plain
// options in; the devices — camera, microphone, speaker, sound server —
// opened, watched and released in one place; the session; and what is
// missing. A device that is absent, busy or goes away mid-call never stops
// the call: it goes on with what there is, and Missing says what is not.
package call

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"peercall/media"
	"peercall/media/aec"
	"peercall/media/sound"
	"peercall/rtc"
)

// Call is one call and the devices behind it.
//
// Threading: every method may be called from any goroutine. The call
// watches its devices on a goroutine of its own and signals on Changed.
type Call struct {
	opts Options
	log  *slog.Logger
	sess *rtc.Session

	speaker *media.Speaker
	sys     *sound.System
	aec     media.EchoCanceller
	input   media.AudioInput   // what is sent: the microphone, the tone or nil
	micIn   *media.SwitchInput // the microphone's place in input, when a sound server is there
	video   *media.SwitchSource

	// The input, measured before the mute; nil with none.
	metered *media.MeteredInput

	mu      sync.Mutex
	output  io.Closer           // the device, a file, or a pull that drops the sound
	device  *media.DeviceOutput // the speaker in use; nil when there is none
	mic     *media.MicInput     // the microphone in use; nil when there is none
	missing Missing
	muted   bool
	camOff  bool
	// The devices in use, as chosen in the options or since.
	cameraID, micID, speakerID string
	switching                  sync.Mutex // one change of device at a time
	rearm                      chan struct{}

	changed   chan struct{}
	stop      context.CancelFunc
	watching  sync.WaitGroup
	closeOnce sync.Once
	closeErr  error
}

// Open opens the devices the options ask for, whatever of them there is,
// and makes the session. It does no networking; it may take a moment (a
// camera opening), so a window calls it off its UI goroutine. An error
// means the options are wrong or a file could not be written, never that
// a device is missing.
func Open(opts Options) (*Call, error) {
	if err := opts.check(); err != nil {
		return nil, err
	}
	c := &Call{opts: opts, log: opts.Logger, camOff: opts.CameraOff, changed: make(chan struct{}, 1),
		rearm: make(chan struct{}, 1), cameraID: opts.Camera, micID: opts.Microphone, speakerID: opts.Speaker}
	c.openVideo()
	if err := c.openSound(); err != nil {
		c.video.Close()
		return nil, err
	}
	sess, err := rtc.New(rtc.Config{
		// A lost call waits for a new pair of codes rather than ending:
		// both front-ends offer them.
		Resumable:  true,
		ICEServers: ICEServers(opts.STUN, opts.TURN, opts.TURNUser, opts.TURNPass),
		Interfaces: opts.Interfaces,
		Logger:     opts.Logger,
		Video:      c.video,
		FPS:        opts.FPS,
		VideoSink:  opts.VideoSink,
		SelfView:   opts.SelfView,
		ScreenSink: opts.ScreenSink,
		Audio:      c.input,
		Speaker:    c.speaker,
	})
	if err != nil {
		c.video.Close()
		if c.input != nil {
			c.input.Close()
		}
		c.closeSound()
		return nil, err
	}
	c.sess = sess
	for _, name := range c.Missing().Names() {
		c.log.Warn("the call goes on without a device", "missing", name, "why", c.reason(name))
	}
	ctx, stop := context.WithCancel(context.Background())
	c.stop = stop
	c.watching.Add(1)
	go func() {
		defer c.watching.Done()
		c.watch(ctx)
	}()
	return c, nil
}

// openVideo makes the picture source: the camera or the pattern behind a
// switch that sends the "camera off" picture whenever there is no live
// camera.
func (c *Call) openVideo() {
	o := c.opts
	c.video = media.NewSwitchSource(c.opener(o.Video, o.Camera), o.Width, o.Height, o.CameraOff)
}

// opener opens the picture source src (the camera id for VideoCamera).
func (c *Call) opener(src VideoSource, id string) func() (media.VideoSource, error) {
	o := c.opts
	return func() (media.VideoSource, error) {
		switch src {
		case VideoPattern:
			return media.NewPatternSource(o.Width, o.Height, o.FPS)
		case VideoClip:
			return media.NewClipSource(o.ClipFile, o.FPS)
		}
		return o.OpenCamera(id, o.Width, o.Height, o.FPS)
	}
}

// openSound opens the sound server, the microphone and the speaker as the
// options ask, recording what is missing. Only a sound file that cannot be
// written is an error.
func (c *Call) openSound() error {
	o := c.opts
	c.speaker = media.NewSpeaker()
	needMic, needSpeaker := o.Audio == AudioMic, o.Output == OutputSpeaker
	if needMic || needSpeaker {
		sys, err := o.OpenSound()
		if err != nil {
			c.missing.SoundServer = err
			if needMic {
				c.missing.Microphone = err
			}
			if needSpeaker {
				c.missing.Speaker = err
			}
		}
		c.sys = sys
	}
	if c.sys != nil && needMic && o.EchoCancel {
		canceller, err := media.NewEchoCanceller()
		if err != nil {
			c.log.Warn("echo cancellation unavailable", "why", err)
		} else {
			c.aec = canceller
		}
	}
	switch o.Audio {
	case AudioTone:
		c.input = media.NewToneInput()
	case AudioWAV:
		in, err := media.NewWAVInput(o.WAVFile)
		if err != nil {
			c.closeSound()
			return err
		}
		c.input = in
	case AudioMic:
		if c.sys != nil {
			// The microphone sits in a switch: another can take its
			// place mid-call, and while there is none (none found, one
			// unplugged) silence keeps the stream going.
			var in media.AudioInput
			mic, err := media.NewMicInput(c.sys, o.Microphone, c.aec)
			if err != nil {
				c.missing.Microphone = err
			} else {
				c.mic, in = mic, mic
			}
			c.micIn = media.NewSwitchInput(in)
			c.input = c.micIn
		}
	}
	if c.input != nil {
		c.metered = media.NewMeteredInput(c.input)
		c.input = c.metered
	}
	switch o.Output {
	case OutputFile:
		out, err := media.NewFileOutput(o.OutputFile, c.speaker)
		if err != nil {
			if c.input != nil {
				c.input.Close()
			}
			c.closeSound()
			return fmt.Errorf("%w %s: %v", ErrOutputFile, o.OutputFile, err)
		}
		c.output = out
	case OutputSpeaker:
		if c.sys != nil {
			out, err := media.NewDeviceOutput(c.sys, o.Speaker, c.speaker, c.aec)
			if err != nil {
				c.missing.Speaker = err
			} else {
				c.device, c.output = out, out
			}
		}
	}
	if c.output == nil {
		// Nothing plays the sound, but it is still received, so the
		// statistics and the jitter buffer stay true.
		c.output = media.NewNullOutput(c.speaker)
	}
	return nil
}

// cameraRetry is how often a missing camera is looked for again, so that
// one plugged back in, or plugged in for the first time, comes by itself.
// A camera that opens but fails again at once (a driver that cannot
// deliver) is looked for less and less often, up to cameraRetryMax.
const (
	cameraRetry    = 2 * time.Second
	cameraRetryMax = time.Minute
)

// rescanCameras has the camera driver list the cameras again when one has
// been plugged in since it last did (media.RescanCameras).
var rescanCameras = media.RescanCameras

// watch follows the devices until the call is closed: a camera that goes
// live, missing or silent, a microphone or speaker that goes away, a camera
// plugged back in. Each change is told to the other side (camera off, no
// sound) and signalled on Changed.
func (c *Call) watch(ctx context.Context) {
	camera := c.video.Changed()
	cameraMissing := c.Missing().Camera != nil
	every := cameraRetry
	retry := time.NewTicker(every)
	defer retry.Stop()
	var retried time.Time // when a retry last brought the camera back
	c.pushMedia()
	for {
		// The devices in use now: a change of device re-arms these.
		c.mu.Lock()
		mic, device := c.mic, c.device
		c.mu.Unlock()
		var micGone, outGone <-chan struct{}
		if mic != nil {
			micGone = mic.Stopped()
		}
		if device != nil {
			outGone = device.Stopped()
		}
		select {
		case <-ctx.Done():
			return
		case <-c.rearm:
		case <-camera:
			camera = c.video.Changed()
		case <-retry.C:
			if !c.cameraLost() {
				continue
			}
			rescanCameras() // a camera plugged in for the first time
			if !c.video.Retry() {
				continue
			}
			retried = time.Now()
		case <-micGone:
			c.mu.Lock()
			if c.mic == mic {
				c.mic = nil
				c.missing.Microphone = media.ErrMicrophoneStopped
			}
			c.mu.Unlock()
			mic.Close()
			c.log.Warn("the microphone went away; the call goes on without it")
		case <-outGone:
			c.speakerGone(device)
		}
		if missing := c.Missing().Camera; (missing != nil) != cameraMissing {
			cameraMissing = missing != nil
			if cameraMissing {
				c.log.Warn("the camera is gone; the other side sees the camera-off picture", "why", missing)
				if time.Since(retried) < 5*time.Second && every < cameraRetryMax {
					every = min(2*every, cameraRetryMax)
					retry.Reset(every)
				}
			} else {
				c.log.Info("the camera is back")
			}
		}
		c.pushMedia()
		c.notify()
	}
}

// cameraLost reports whether a camera that is not turned off is missing
// (not found, failed, unplugged), as opposed to open but silent.
func (c *Call) cameraLost() bool {
	c.mu.Lock()
	off := c.camOff
	c.mu.Unlock()
	err := c.video.Err()
	return !off && c.opts.Video == VideoCamera && err != nil && !errors.Is(err, media.ErrCameraSilent)
}

// speakerGone records a speaker that went away and keeps the other side's
// sound flowing through the receive path, played nowhere.
func (c *Call) speakerGone(device *media.DeviceOutput) {
	c.mu.Lock()
	if c.device != device {
		c.mu.Unlock()
		return // already replaced
	}
	c.device = nil
	c.missing.Speaker = sound.ErrStopped
	c.mu.Unlock()
	c.log.Warn("the speaker went away; the call goes on without it")
	device.Close()
	c.mu.Lock()
	if c.output == io.Closer(device) {
		c.output = media.NewNullOutput(c.speaker)
	}
	c.mu.Unlock()
}

// rearmWatch tells the watch that the devices in use changed.
func (c *Call) rearmWatch() {
	select {
	case c.rearm <- struct{}{}:
	default:
	}
}

// CanChange tells which devices this call can change mid-call: the
// camera when it sends one (not the pattern or a clip), the microphone and
// speaker when it uses them through a sound server.
func (c *Call) CanChange() (camera, microphone, speaker bool) {
	return c.opts.Video == VideoCamera, c.micIn != nil, c.sys != nil && c.opts.Output == OutputSpeaker
}

// Devices are the ids of the devices in use, as chosen in the options or
// changed since ("" for the system default or the first camera).
func (c *Call) Devices() (camera, microphone, speaker string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cameraID, c.micID, c.speakerID
}

// SetCamera changes the camera mid-call: the one in use is released and
// the camera id opened in its place, in the same stream, so the other side
// has nothing to do. While the camera is turned off the choice waits for it
// to be turned on. It reports whether the new camera's picture is sent.
func (c *Call) SetCamera(id string) (live bool, err error) {
	if c.opts.Video != VideoCamera {
		return false, fmt.Errorf("%w: the call sends %s, not a camera", ErrNoDevice, c.opts.Video)
	}
	c.switching.Lock()
	defer c.switching.Unlock()
	c.mu.Lock()
	c.cameraID = id
	off := c.camOff
	c.mu.Unlock()
	live, err = c.video.SetOpener(c.opener(VideoCamera, id))
	c.log.Info("camera changed", "camera", id, "live", live, "why", err)
	c.pushMedia()
	c.notify()
	if off {
		return false, nil
	}
	return live, err
}

// SetMicrophone changes the microphone mid-call. The other side hears
// the new one in the same stream after a moment of silence. If it cannot
// be opened the call goes on without a microphone, and the error says why.
func (c *Call) SetMicrophone(id string) error {
	if c.micIn == nil {
		return fmt.Errorf("%w: no sound server", ErrNoDevice)
	}
	c.switching.Lock()
	defer c.switching.Unlock()
	// The old microphone stops before the new one starts: they share
	// the echo canceller.
	if old := c.micIn.Set(nil); old != nil {
		old.Close()
	}
	c.mu.Lock()
	c.mic, c.micID = nil, id
	c.mu.Unlock()
	mic, err := media.NewMicInput(c.sys, id, c.aec)
	c.mu.Lock()
	if err != nil {
		c.missing.Microphone = err
	} else {
		c.mic, c.missing.Microphone = mic, nil
	}
	c.mu.Unlock()
	if err == nil {
		c.micIn.Set(mic)
	}
	c.log.Info("microphone changed", "microphone", id, "why", err)
	c.rearmWatch()
	c.pushMedia()
	c.notify()
	return err
}

// SetSpeaker changes the speaker mid-call: the other side's sound plays on
// speaker id from the next few milliseconds. If it cannot be opened the
// sound is received and played nowhere, and the error says why.
func (c *Call) SetSpeaker(id string) error {
	if c.sys == nil || c.opts.Output != OutputSpeaker {
		return fmt.Errorf("%w: no sound server", ErrNoDevice)
	}
	c.switching.Lock()
	defer c.switching.Unlock()
	// One output pulls the sound at a time.
	c.mu.Lock()
	old := c.output
	c.output, c.device, c.speakerID = nil, nil, id
	c.mu.Unlock()
	if old != nil {
		old.Close()
	}
	out, err := media.NewDeviceOutput(c.sys, id, c.speaker, c.aec)
	c.mu.Lock()
	if err != nil {
		c.missing.Speaker = err
		c.output = media.NewNullOutput(c.speaker)
	} else {
		c.device, c.output, c.missing.Speaker = out, out, nil
	}
	c.mu.Unlock()
	c.log.Info("speaker changed", "speaker", id, "why", err)
	c.rearmWatch()
	c.notify()
	return err
}

// pushMedia tells the other side whether it hears and sees this side.
func (c *Call) pushMedia() {
	c.mu.Lock()
	muted, micMissing := c.muted, c.missing.Microphone != nil
	c.mu.Unlock()
	live := c.video.Live()
	c.sess.SetMuted(muted, live)
	if micMissing {
		c.sess.SetLocalMedia(false, live)
	}
}

func (c *Call) notify() {
	select {
	case c.changed <- struct{}{}:
	default:
	}
}

// Session is the call's session: codes, state, statistics.
func (c *Call) Session() *rtc.Session { return c.sess }

// Changed signals after a device changed (see Missing) or the camera or
// microphone was switched; several changes may arrive as one signal. One
// reader only.
func (c *Call) Changed() <-chan struct{} { return c.changed }

// Echo is the echo canceller's counts (frames played and captured, and
// how often the two sides were out of step); false when the call runs
// none.
func (c *Call) Echo() (aec.Stats, bool) {
	if c.aec == nil {
		return aec.Stats{}, false
	}
	return c.aec.Stats(), true
}

// Missing says what the call lacks now.
func (c *Call) Missing() Missing {
	c.mu.Lock()
	m := c.missing
	camOff := c.camOff
	c.mu.Unlock()
	if !camOff {
		m.Camera = c.video.Err()
	}
	return m
}

// reason is why the named device is missing, for a log line.
func (c *Call) reason(name string) error {
	m := c.Missing()
	switch name {
	case MissingCamera:
		return m.Camera
	case MissingMicrophone:
		return m.Microphone
	case MissingSpeaker:
		return m.Speaker
	}
	return m.SoundServer
}

// SetMuted sends silence instead of the microphone (true) or the
// microphone again, and tells the other side.
func (c *Call) SetMuted(muted bool) {
	c.mu.Lock()
	c.muted = muted
	c.mu.Unlock()
	c.pushMedia()
	c.notify()
}

// Muted reports whether the microphone is muted.
func (c *Call) Muted() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.muted
}

// SetCameraOff turns the camera off (releasing the device) or on again,
// and tells the other side. Opening a camera can take a moment. It
// reports whether the camera's picture is sent afterwards.
func (c *Call) SetCameraOff(off bool) (live bool) {
	c.mu.Lock()
	c.camOff = off
	c.mu.Unlock()
	live, _ = c.video.SetOff(off)
	c.pushMedia()
	c.notify()
	return live
}

// CameraOff reports whether the person turned the camera off.
func (c *Call) CameraOff() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.camOff
}

// CameraLive reports whether the camera's (or the pattern's) picture is
// being sent.
func (c *Call) CameraLive() bool { return c.video.Live() }

// Close hangs up, then releases everything in one order: the device
// watch, the session and its send loops (which close the camera and the
// microphone), the speaker or file, the echo canceller and the sound
// server. It
// blocks until all is released and reports what closing reported; it may
// be called more than once.
func (c *Call) Close() error {
	c.closeOnce.Do(func() {
		// The watch goes first: the session closing the microphone is
		// not a microphone going away.
		c.stop()
		c.watching.Wait()
		errs := []error{c.sess.Close(), c.closeSound()}
		c.closeErr = errors.Join(errs...)
	})
	return c.closeErr
}

// closeSound releases the output, the canceller and the sound server; the
// input is the session's to close.
func (c *Call) closeSound() error {
	var errs []error
	c.mu.Lock()
	out := c.output
	c.output = nil
	c.mu.Unlock()
	if out != nil {
		errs = append(errs, out.Close())
	}
	if c.aec != nil {
		c.aec.Close()
	}
	if c.sys != nil {
		errs = append(errs, c.sys.Close())
	}
	return errors.Join(errs...)
}

// Logger is where the call logs: the options' logger, or one that discards.
func (c *Call) Logger() *slog.Logger { return c.log }
