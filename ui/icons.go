package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"

	"peercall/assets"
)

// Control icons, drawn in the theme's foreground colour.
var (
	iconMic       = icon("mic.svg")
	iconMicOff    = icon("mic-off.svg")
	iconCamera    = icon("camera.svg")
	iconCameraOff = icon("camera-off.svg")
	iconHangup    = icon("hangup.svg")
	iconStats     = icon("stats.svg")
	iconSelfView  = icon("selfview.svg")
)

func icon(name string) fyne.Resource {
	data, err := assets.Icons.ReadFile("icons/" + name)
	if err != nil {
		panic("missing embedded icon " + name)
	}
	return theme.NewThemedResource(fyne.NewStaticResource(name, data))
}
