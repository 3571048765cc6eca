// Package ui is Peercall's window, built with Fyne: the home screen where a
// call is started or joined with the two codes, the call screen with the
// remote picture and the self-view, and the settings. It is the only
// package that imports Fyne; it drives calls through package rtc and
// changes widgets only through fyne.Do.
package ui
