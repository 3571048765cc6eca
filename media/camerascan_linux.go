package media

import (
	"path/filepath"
	"strings"
	"sync"

	"github.com/pion/mediadevices/pkg/driver"
	"github.com/pion/mediadevices/pkg/driver/camera"
)

// The camera driver lists the system's cameras once, when the program
// starts. RescanCameras has it list them again when a camera has been
// plugged in since, so that a camera plugged in for the first time during
// a call (or while the settings are open) can be picked and opened.

var (
	rescanMu sync.Mutex
	// cameraNodes is where the system puts its cameras' device nodes.
	cameraNodes = "/dev/video*"
	// listCameras has the camera driver list the cameras anew: it forgets
	// the cameras it knew (one in use keeps working) and registers every
	// device node there is now.
	listCameras = camera.Initialize
)

// RescanCameras looks for a camera device node the camera driver does not
// know, and when there is one, has the driver list the cameras again. It
// reports whether it did. It costs a directory listing when nothing is new,
// so it can be called every time cameras are looked for.
func RescanCameras() bool {
	rescanMu.Lock()
	defer rescanMu.Unlock()
	nodes, err := filepath.Glob(cameraNodes)
	if err != nil || len(nodes) == 0 {
		return false
	}
	// The driver labels a camera "name;node", node being the base name of
	// the device node it opens.
	known := map[string]bool{}
	for _, d := range driver.GetManager().Query(driver.FilterVideoRecorder()) {
		label := d.Info().Label
		if i := strings.LastIndex(label, camera.LabelSeparator); i >= 0 {
			known[label[i+len(camera.LabelSeparator):]] = true
		}
	}
	for _, n := range nodes {
		if !known[filepath.Base(n)] {
			listCameras()
			return true
		}
	}
	return false
}
