package collect

import (
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

// DiscoverStdin is the stdin of a Core discovery: the same bootstrap
// (CommandLine) runs facts.DiscoverScript with req as its argument. The
// request is data (base64 JSON), never part of the script's text.
func DiscoverStdin(req facts.DiscoverRequest) ([]byte, error) {
	data, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrRequest, err)
	}
	enc := base64.StdEncoding.EncodeToString(data)
	out := make([]byte, 0, len(facts.DiscoverScript)+len(facts.StdinSeparator)+len(enc)+2)
	out = append(out, facts.DiscoverScript...)
	out = append(out, facts.StdinSeparator...)
	out = append(out, enc...)
	out = append(out, "\r\n"...)
	return out, nil
}
