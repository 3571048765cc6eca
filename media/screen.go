package media

import (
	"context"
	"errors"
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
	"golang.org/x/sys/unix"

	"peercall/media/yuv"
)

// ScreenFPS is the frame rate a shared screen is sent at: text and
// windows need sharpness more than motion, so the bits go to fewer,
// sharper pictures.
const ScreenFPS = 15

var (
	// ErrScreenWayland refuses screen sharing in a Wayland session, where
	// an X11 capture would only see a black picture.
	ErrScreenWayland = errors.New("screen sharing is not supported on Wayland yet")
	// ErrNoScreen means there is no X display to share ($DISPLAY is not
	// set, or its server cannot be reached or read).
	ErrNoScreen = errors.New("no screen to share")
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
// the screen's size (rounded down to even).
//
// It speaks to the X server with github.com/jezek/xgb and reads the
// pictures through the MIT-SHM extension into one shared-memory segment
// that is reused, falling back to plain GetImage when the server is not
// on this machine. mediadevices' X11 screen driver was not used: it finds
// screens only once, at package initialisation, from the $DISPLAY of that
// moment; its reads wait on a ticker of its own that Close stops but does
// not wake, so a read waiting when sharing stops would block its send
// loop forever (and one that got through after Close would read freed
// shared memory); and it copies every picture twice, allocating a new
// 8 MB buffer per 1920×1080 frame.
type ScreenSource struct {
	conn   *xgb.Conn
	root   xproto.Window
	w, h   int // the size sent: the screen's, even
	stride int // bytes a row of the captured picture
	order  yuv.PixelOrder

	// With MIT-SHM: the segment, attached on both sides.
	seg    shm.Seg
	shmBuf []byte

	ticker *time.Ticker
	done   chan struct{}
	once   sync.Once

	mu     sync.Mutex // one capture at a time; Close waits for it
	closed bool
	img    *image.YCbCr
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
		w:    int(scr.WidthInPixels) &^ 1,
		h:    int(scr.HeightInPixels) &^ 1,
		done: make(chan struct{}),
	}
	if s.w < 2 || s.h < 2 {
		return nil, fmt.Errorf("%w: the screen is %d×%d", ErrNoScreen, scr.WidthInPixels, scr.HeightInPixels)
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
	s.stride = int(scr.WidthInPixels) * 4
	s.attachShm(int(scr.HeightInPixels))
	s.img = image.NewYCbCr(image.Rect(0, 0, s.w, s.h), image.YCbCrSubsampleRatio420)
	s.ticker = time.NewTicker(time.Second / time.Duration(fps))
	return s, nil
}

// attachShm sets up the shared-memory segment for rows rows, or leaves
// shmBuf nil when the server cannot share memory with this process.
func (s *ScreenSource) attachShm(rows int) {
	if shm.Init(s.conn) != nil {
		return
	}
	size := s.stride * rows
	id, err := unix.SysvShmGet(unix.IPC_PRIVATE, size, unix.IPC_CREAT|0o600)
	if err != nil {
		return
	}
	// Removed now, freed once both sides have detached.
	defer unix.SysvShmCtl(id, unix.IPC_RMID, nil)
	buf, err := unix.SysvShmAttach(id, 0, 0)
	if err != nil {
		return
	}
	seg, err := shm.NewSegId(s.conn)
	if err == nil {
		err = shm.AttachChecked(s.conn, seg, uint32(id), false).Check()
	}
	if err != nil {
		unix.SysvShmDetach(buf)
		return
	}
	s.seg, s.shmBuf = seg, buf
}

// Size is the size of the pictures the source delivers.
func (s *ScreenSource) Size() (w, h int) { return s.w, s.h }

// ReadFrame waits for the next tick and captures the screen.
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
		return nil, time.Time{}, fmt.Errorf("media: reading the screen: %w", err)
	}
	now := time.Now()
	if err := yuv.FromRGB(s.img, pix, s.stride, s.w, s.h, s.order); err != nil {
		return nil, time.Time{}, err
	}
	return s.img, now, nil
}

// capture reads the screen's pixels; they stay valid until the next call.
func (s *ScreenSource) capture() ([]byte, error) {
	if s.shmBuf != nil {
		_, err := shm.GetImage(s.conn, xproto.Drawable(s.root), 0, 0, uint16(s.stride/4), uint16(len(s.shmBuf)/s.stride),
			0xffffffff, xproto.ImageFormatZPixmap, s.seg, 0).Reply()
		return s.shmBuf, err
	}
	r, err := xproto.GetImage(s.conn, xproto.ImageFormatZPixmap, xproto.Drawable(s.root), 0, 0,
		uint16(s.stride/4), uint16(s.h), 0xffffffff).Reply()
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
		if s.shmBuf != nil {
			shm.Detach(s.conn, s.seg)
			unix.SysvShmDetach(s.shmBuf)
			s.shmBuf = nil
		}
		s.conn.Close()
		s.mu.Unlock()
	})
	return nil
}

// Name reports "screen".
func (s *ScreenSource) Name() string { return screenSourceName }
