// Package e2e holds Peercall's end-to-end tests: they build the peercall
// binary and run it as a user would — headless calls between two
// processes, on loopback, in network namespaces behind NATs and impaired
// links, against Chromium, the window under Xvfb, and the Windows build
// under Wine. It has no code of its own outside its tests but the link
// emulator in e2e/linkemu.
//
// One helper a job, in the test files: startPeer (peer_test.go) runs one
// headless process and reads its code and statistics, startCall and
// twoProcessCall a call between two of them; newNamespace and inNamespace
// (netns_test.go) make a network namespace and enter one; winePrefix
// (wine_test.go) a fresh Wine prefix, wineTestExe the Wine test's build.
package e2e
