// Package dshow names Windows cameras as Windows shows them. The camera
// driver (mediadevices, through DirectShow) labels a camera with its
// moniker's display name, a device path such as
// "@device:pnp:\\?\usb#vid_046d&pid_0825&mi_00#…#{65e8773d-…}\global";
// DirectShow also keeps the name Windows' own camera lists show
// ("Integrated Webcam", "Logitech HD Webcam C270"), which Label finds.
package dshow

import "strings"

// Label is the name to show for a camera the driver labelled label: its
// friendly name on Windows when DirectShow knows one, else label itself.
func Label(label string) string {
	if name, ok := friendlyNames()[label]; ok && name != "" {
		return name
	}
	return label
}

// parseNames reads the lines "display name\tfriendly name" that the
// Windows enumeration writes.
func parseNames(s string) map[string]string {
	names := map[string]string{}
	for _, line := range strings.Split(s, "\n") {
		if display, friendly, ok := strings.Cut(line, "\t"); ok {
			names[display] = friendly
		}
	}
	return names
}
