// Package assets holds the files Peercall embeds in its binary.
package assets

import "embed"

// Icon is the application icon, a 512×512 PNG.
//
//go:embed icon.png
var Icon []byte

// Icons holds the window's control icons as SVG, one file each in icons/.
//
//go:embed icons/*.svg
var Icons embed.FS
