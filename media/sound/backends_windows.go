package sound

import "github.com/gen2brain/malgo"

// backends are the sound systems Open tries, in order: WASAPI, Windows'
// own audio service since Vista (there is no sound server to start), then
// DirectSound.
var backends = []malgo.Backend{malgo.BackendWasapi, malgo.BackendDsound}
