package mediatest

import (
	"fmt"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/randr"
	"github.com/jezek/xgb/xproto"
)

// ResizeScreen changes the size of display's screen through RandR, as a
// person changing the display settings does. Xvfb lets a screen shrink
// and grow back up to the size it was started with: the monitor (CRTC)
// is switched off first, since its mode no longer fits a smaller screen,
// and the root window takes the new size.
func ResizeScreen(display string, w, h int) error {
	conn, err := xgb.NewConnDisplay(display)
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := randr.Init(conn); err != nil {
		return fmt.Errorf("no RandR: %w", err)
	}
	if _, err := randr.QueryVersion(conn, 1, 5).Reply(); err != nil {
		return err
	}
	root := xproto.Setup(conn).DefaultScreen(conn).Root
	res, err := randr.GetScreenResources(conn, root).Reply()
	if err != nil {
		return err
	}
	for _, crtc := range res.Crtcs {
		if _, err := randr.SetCrtcConfig(conn, crtc, xproto.TimeCurrentTime, res.ConfigTimestamp,
			0, 0, 0, randr.RotationRotate0, nil).Reply(); err != nil {
			return err
		}
	}
	// The size in millimetres at 96 dots an inch.
	return randr.SetScreenSizeChecked(conn, root, uint16(w), uint16(h), uint32(w*254/960), uint32(h*254/960)).Check()
}
