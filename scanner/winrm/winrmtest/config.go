package winrmtest

import (
	"net/http"
	"strconv"
	"strings"
)

// configURI is the WinRM configuration resource. Clients read it with a
// WS-Transfer Get to learn the host's limits, as pypsrp does for
// MaxEnvelopeSizekb (recorded exchanges test_wsman_update_envelope_size_*:
// GetResponse with a cfg:Config body).
const configURI = "http://schemas.microsoft.com/wbem/wsman/1/config"

const actionGet = nsTransfer + "/Get"

// getConfig answers a Get of the configuration with the host's limits, in
// the layout Windows uses (only the values the lab models; the rest of
// Windows' document is omitted).
func (hs *hostServer) getConfig(env *envelope) result {
	wr := hs.h.WinRM
	var b strings.Builder
	b.WriteString(`<cfg:Config xmlns:cfg="` + configURI + `"><cfg:MaxEnvelopeSizekb>` + strconv.Itoa(wr.MaxEnvelopeSizeKB) +
		`</cfg:MaxEnvelopeSizekb><cfg:MaxTimeoutms>60000</cfg:MaxTimeoutms><cfg:MaxBatchItems>32000</cfg:MaxBatchItems>` +
		`<cfg:Service><cfg:MaxConcurrentOperationsPerUser>` + strconv.Itoa(wr.MaxConcurrentOperationsPerUser) +
		`</cfg:MaxConcurrentOperationsPerUser><cfg:AllowUnencrypted>` + strconv.FormatBool(wr.AllowUnencrypted) +
		`</cfg:AllowUnencrypted></cfg:Service><cfg:Winrs><cfg:IdleTimeout>` + strconv.FormatInt(wr.ShellIdleTimeout.Milliseconds(), 10) +
		`</cfg:IdleTimeout><cfg:MaxShellsPerUser>` + strconv.Itoa(wr.MaxShellsPerUser) + `</cfg:MaxShellsPerUser></cfg:Winrs></cfg:Config>`)
	w := hs.startEnvelope(nsCreate, nsTransfer+"/GetResponse", env)
	w.raw(b.String())
	return result{status: http.StatusOK, body: w.finish()}
}
