package render

// HTMLScript is the HTML page's inline script, for tests that check the
// page carries it unchanged and that the Content-Security-Policy allows it.
func HTMLScript() string { return htmlScript }
