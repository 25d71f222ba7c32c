package report

import (
	"time"
)

// TrendRuns is how many runs a report's trend keeps.
const TrendRuns = 30

// TrendPoint is one run of the output directory, by its counts.
type TrendPoint struct {
	RunID       string    `json:"runId"`
	GeneratedAt time.Time `json:"generatedAt"`
	// Verdicts counts paths by verdict (verdicts with no path are left out).
	Verdicts    map[string]int `json:"verdicts"`
	FailedHosts int            `json:"failedHosts"`
}

// PointOf counts r's paths by verdict and its failed hosts.
func PointOf(r *Report) TrendPoint {
	p := TrendPoint{RunID: r.RunID, GeneratedAt: r.GeneratedAt.UTC(), Verdicts: map[string]int{}, FailedHosts: len(r.FailedHosts())}
	for i := range r.Matrix.Paths {
		p.Verdicts[string(r.Matrix.Paths[i].Verdict)]++
	}
	return p
}

// NextTrend is cur's trend: prev's (or, for a report without one, prev
// itself) followed by cur, the newest n runs. Each run carries the trend
// forward, so the report needs no other run's file. prev may be nil.
func NextTrend(prev, cur *Report, n int) []TrendPoint {
	var out []TrendPoint
	if prev != nil {
		if len(prev.Trend) > 0 {
			out = append(out, prev.Trend...)
		} else {
			out = append(out, PointOf(prev))
		}
	}
	out = append(out, PointOf(cur))
	if n > 0 && len(out) > n {
		out = out[len(out)-n:]
	}
	return out
}
