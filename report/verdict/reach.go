package verdict

import (
	"fmt"
	"strings"

	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

// perAddress describes how each resolved address of a probe answered on
// port, and whether they disagree (some open, some not). Empty when the
// name resolved to one address or per-address results are missing.
func perAddress(pr *facts.ProbeResult, port int) (text string, mixed bool) {
	if pr == nil || len(pr.ByAddress) < 2 {
		return "", false
	}
	var parts []string
	open, closed := 0, 0
	for _, a := range pr.ByAddress {
		family := "IPv4"
		if a.IPv6() {
			family = "IPv6"
		}
		state := "not probed"
		for _, p := range a.Ports {
			if p.Port != port {
				continue
			}
			if p.Open {
				state, open = "open", open+1
			} else {
				state, closed = orDefault(p.Error, "closed"), closed+1
			}
		}
		parts = append(parts, fmt.Sprintf("%s %s: %s", family, a.Address, state))
	}
	return strings.Join(parts, "; "), open > 0 && closed > 0
}

// notePerAddress adds what each address of the target answered where it
// matters: the name resolves to several addresses and they disagree (for
// example reachable over IPv4 only), or none answers.
func (pe *pathEval) notePerAddress(pr *facts.ProbeResult, port int, reachable bool) string {
	text, mixed := perAddress(pr, port)
	if text == "" {
		return ""
	}
	if reachable && mixed {
		r := Reason{Host: pe.cv.name(), Role: RolePath, Setting: SettingReachability,
			RawValue: text, ValueLabel: "reachable on some addresses only", Effect: EffectInfo,
			Explanation: fmt.Sprintf("%s resolves %s to %d addresses; TCP %d answers on only some of them (%s). The Core connects by trying the addresses in DNS order, so connections may be slow or fail when it tries the unreachable one first or the working one changes.",
				pe.cv.name(), pe.p.NameUsed, len(pr.ByAddress), port, text)}
		pe.add(r)
	}
	return text
}
