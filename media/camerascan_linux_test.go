package media

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/pion/mediadevices/pkg/driver"
	"github.com/pion/mediadevices/pkg/io/video"
	"github.com/pion/mediadevices/pkg/prop"
)

// nodeCamera is a camera the driver manager knows, by its label only.
type nodeCamera struct{}

func (nodeCamera) Open() error                                  { return nil }
func (nodeCamera) Close() error                                 { return nil }
func (nodeCamera) Properties() []prop.Media                     { return nil }
func (nodeCamera) VideoRecord(prop.Media) (video.Reader, error) { return nil, errors.New("no picture") }

// registerNodeCamera registers a camera labelled as the camera driver
// labels the device node node, and forgets it when the test ends.
func registerNodeCamera(t *testing.T, node string) {
	t.Helper()
	m := driver.GetManager()
	before := map[string]bool{}
	for _, d := range m.Query(driver.FilterVideoRecorder()) {
		before[d.ID()] = true
	}
	if err := m.Register(nodeCamera{}, driver.Info{Label: "Test camera;" + node, DeviceType: driver.Camera}); err != nil {
		t.Fatal(err)
	}
	for _, d := range m.Query(driver.FilterVideoRecorder()) {
		if id := d.ID(); !before[id] {
			t.Cleanup(func() { m.Delete(id) })
		}
	}
}

// A camera plugged in after the driver listed the cameras (a device node
// it does not know) has the driver list them again, once; nothing new, no
// listing.
func TestRescanCamerasListsANewCameraOnce(t *testing.T) {
	dir := t.TempDir()
	oldNodes, oldList := cameraNodes, listCameras
	t.Cleanup(func() { cameraNodes, listCameras = oldNodes, oldList })
	cameraNodes = filepath.Join(dir, "video*")
	listed := 0
	listCameras = func() {
		listed++
		registerNodeCamera(t, "video2") // what the driver finds now
	}
	plug := func(node string) {
		if err := os.WriteFile(filepath.Join(dir, node), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}

	if RescanCameras() || listed != 0 {
		t.Fatalf("no camera at all: listed %d times", listed)
	}
	plug("video0")
	registerNodeCamera(t, "video0")
	if RescanCameras() || listed != 0 {
		t.Fatalf("only a known camera: listed %d times", listed)
	}
	plug("video2")
	if !RescanCameras() || listed != 1 {
		t.Fatalf("a camera plugged in: listed %d times, want 1", listed)
	}
	if RescanCameras() || listed != 1 {
		t.Fatalf("nothing new since: listed %d times, want 1", listed)
	}
}
