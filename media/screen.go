//go:build !windows

package media

import (
	"context"
	"fmt"
	"image"
	"io"
	"log"
	"os"
	"sync"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/shm"
	"github.com/jezek/xgb/xproto"

	"peercall/media/xshm"
	"peercall/media/yuv"
)

func init() {
	// xgb reports on stderr that it found no authority file and goes on
	// without one, which is how a local display is reached: nothing a
	// person should see on the terminal.
	xgb.Logger = log.New(io.Discard, "", 0)
}

// ScreenSharingAvailable tells whether NewScreenSource can work here,
// without connecting: ErrScreenWayland in a Wayland session without a
// usable X display, ErrNoScreen with no display at all, else nil.
func ScreenSharingAvailable() error {
	if os.Getenv("DISPLAY") == "" {
		if os.Getenv("WAYLAND_DISPLAY") != "" {
			return ErrScreenWayland
		}
		return ErrNoScreen
	}
	return nil
}

// ScreenSource captures an X11 screen (the whole root window of the
// display's default screen) at a steady frame rate, as 4:2:0 pictures of
// the screen's size (rounded down to even). When the screen changes size
// (display settings, a monitor plugged in), the pictures follow: each
// capture asks the server for the root window's size first.
//
// It speaks to the X server with github.com/jezek/xgb and reads the
// pictures through the MIT-SHM extension into one shared-memory segment
// that is reused (and made again when the screen changes size), falling
// back to plain GetImage when the server is not on this machine.
// mediadevices' X11 screen driver was not used: it finds screens only
// once, at package initialisation, from the $DISPLAY of that moment; its
// reads wait on a ticker of its own that Close stops but does not wake, so
// a read waiting when sharing stops would block its send loop forever
// (and one that got through after Close would read freed shared memory);
// and it copies every picture twice, allocating a new 8 MB buffer per
// 1920×1080 frame.
type ScreenSource struct {
	conn   *xgb.Conn
	root   xproto.Window
	order  yuv.PixelOrder
	useShm bool // the server shares memory with this process

	ticker *time.Ticker
	done   chan struct{}
	once   sync.Once

	mu     sync.Mutex // one capture at a time; Close waits for it
	closed bool
	scrW   int // the screen's size, as the server last gave it
	scrH   int
	w, h   int // the size sent: the screen's, even
	stride int // bytes a row of the captured picture
	// With MIT-SHM: the segment for the current size, attached on both
	// sides.
	shm *xshm.Segment
	img *image.YCbCr
}

// NewScreenSource connects to display ("" for $DISPLAY) and prepares to
// capture its default screen at fps pictures a second.
func NewScreenSource(display string, fps int) (*ScreenSource, error) {
	if fps < 1 || fps > 60 {
		return nil, fmt.Errorf("media: screen frame rate %d out of range 1..60", fps)
	}
	if display == "" {
		if err := ScreenSharingAvailable(); err != nil {
			return nil, err
		}
	}
	conn, err := xgb.NewConnDisplay(display)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoScreen, err)
	}
	s, err := newScreenSource(conn, fps)
	if err != nil {
		conn.Close()
		return nil, err
	}
	return s, nil
}

func newScreenSource(conn *xgb.Conn, fps int) (*ScreenSource, error) {
	setup := xproto.Setup(conn)
	scr := setup.DefaultScreen(conn)
	s := &ScreenSource{
		conn: conn,
		root: scr.Root,
		done: make(chan struct{}),
	}
	// Only 32-bit pixels with 8-bit channels are read: what every X server
	// of today uses for depth 24 and 32.
	bpp := 0
	for _, f := range setup.PixmapFormats {
		if f.Depth == scr.RootDepth {
			bpp = int(f.BitsPerPixel)
		}
	}
	var red, blue uint32
	for _, d := range scr.AllowedDepths {
		for _, v := range d.Visuals {
			if v.VisualId == scr.RootVisual {
				red, blue = v.RedMask, v.BlueMask
			}
		}
	}
	switch {
	case bpp == 32 && red == 0xff0000 && blue == 0xff:
		s.order = yuv.BGRX
	case bpp == 32 && red == 0xff && blue == 0xff0000:
		s.order = yuv.RGBX
	default:
		return nil, fmt.Errorf("%w: the screen's pixel format (depth %d, %d bits a pixel, red mask %#x) is not supported",
			ErrNoScreen, scr.RootDepth, bpp, red)
	}
	s.useShm = shm.Init(conn) == nil
	if err := s.setSize(int(scr.WidthInPixels), int(scr.HeightInPixels)); err != nil {
		return nil, err
	}
	s.ticker = time.NewTicker(time.Second / time.Duration(fps))
	return s, nil
}

// setSize prepares the capture of a w×h screen: the picture, and the
// shared-memory segment when the server shares memory.
func (s *ScreenSource) setSize(w, h int) error {
	if w&^1 < 2 || h&^1 < 2 {
		return fmt.Errorf("%w: the screen is %d×%d", ErrNoScreen, w, h)
	}
	s.detachShm()
	s.scrW, s.scrH = w, h
	s.w, s.h = w&^1, h&^1
	s.stride = w * 4
	if s.useShm {
		s.attachShm(h)
	}
	s.img = image.NewYCbCr(image.Rect(0, 0, s.w, s.h), image.YCbCrSubsampleRatio420)
	return nil
}

// attachShm sets up the shared-memory segment for rows rows, or leaves
// shm nil when the server cannot share memory with this process.
func (s *ScreenSource) attachShm(rows int) {
	s.shm, _ = xshm.Attach(s.conn, s.stride*rows)
}

// detachShm lets go of the shared-memory segment, if there is one.
func (s *ScreenSource) detachShm() {
	if s.shm != nil {
		s.shm.Detach(s.conn)
		s.shm = nil
	}
}

// Size is the size of the pictures the source delivers now; it changes
// when the screen does.
func (s *ScreenSource) Size() (w, h int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w, s.h
}

// ReadFrame waits for the next tick and captures the screen. A screen
// that can no longer be read (its X server went away) ends the source
// with an error that wraps ErrScreenLost.
func (s *ScreenSource) ReadFrame(ctx context.Context) (*image.YCbCr, time.Time, error) {
	select {
	case <-ctx.Done():
		return nil, time.Time{}, ctx.Err()
	case <-s.done:
		return nil, time.Time{}, errSourceClosed
	case <-s.ticker.C:
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, time.Time{}, errSourceClosed
	}
	pix, err := s.capture()
	if err != nil {
		// Not wrapped: the connection's end reads as io.EOF, which a
		// send loop would take for the end of a file.
		return nil, time.Time{}, fmt.Errorf("%w: %v", ErrScreenLost, err)
	}
	now := time.Now()
	if err := yuv.FromRGB(s.img, pix, s.stride, s.w, s.h, s.order); err != nil {
		return nil, time.Time{}, err
	}
	return s.img, now, nil
}

// capture reads the screen's pixels at the screen's size of the moment;
// they stay valid until the next call. A capture refused because the
// screen changed size between the two requests is made again once.
func (s *ScreenSource) capture() ([]byte, error) {
	// Errors of requests nobody waits for pile up in the connection's
	// queue, which stops the connection when full: they are read and
	// dropped.
	for {
		ev, xerr := s.conn.PollForEvent()
		if ev == nil && xerr == nil {
			break
		}
	}
	var err error
	for range 2 {
		if err = s.followSize(); err != nil {
			return nil, err
		}
		var pix []byte
		if pix, err = s.captureOnce(); err == nil {
			return pix, nil
		}
	}
	return nil, err
}

// followSize asks the server for the root window's size and prepares for
// a new one.
func (s *ScreenSource) followSize() error {
	g, err := xproto.GetGeometry(s.conn, xproto.Drawable(s.root)).Reply()
	if err != nil {
		return err
	}
	if w, h := int(g.Width), int(g.Height); w != s.scrW || h != s.scrH {
		return s.setSize(w, h)
	}
	return nil
}

func (s *ScreenSource) captureOnce() ([]byte, error) {
	if s.shm != nil {
		_, err := shm.GetImage(s.conn, xproto.Drawable(s.root), 0, 0, uint16(s.scrW), uint16(s.scrH),
			0xffffffff, xproto.ImageFormatZPixmap, s.shm.Seg, 0).Reply()
		return s.shm.Buf, err
	}
	r, err := xproto.GetImage(s.conn, xproto.ImageFormatZPixmap, xproto.Drawable(s.root), 0, 0,
		uint16(s.scrW), uint16(s.h), 0xffffffff).Reply()
	if err != nil {
		return nil, err
	}
	return r.Data, nil
}

// Close stops capturing and releases the connection and the shared
// memory; a capture under way finishes first.
func (s *ScreenSource) Close() error {
	s.once.Do(func() {
		close(s.done)
		s.ticker.Stop()
		s.mu.Lock()
		s.closed = true
		s.detachShm()
		s.conn.Close()
		s.mu.Unlock()
	})
	return nil
}

// Name reports "screen".
func (s *ScreenSource) Name() string { return screenSourceName }
