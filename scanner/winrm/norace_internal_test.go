//go:build !race

package winrm

const raceEnabled = false
