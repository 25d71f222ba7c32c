package winrm

// FastSealConns exposes how many connections switched to fastSeal.
func FastSealConns() int64 { return fastSealConns.Load() }
