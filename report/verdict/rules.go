package verdict

import "github.com/ntlmscan/ntlmscan/scanner/facts"

// rule is one check of a path. Family is the settings-table family
// (facts.Setting.Family) whose settings the check judges; the rules of a
// family live in the file of that name.
type rule struct {
	family facts.Family
	check  func(*pathEval)
}

// pathRules is the one place the rules are registered, in the order
// Windows applies the checks: client restrictions, then the server, then
// the DCs, then the protocol-level and identity checks ([MS-NLMP] and
// Microsoft's "Restrict NTLM" policy pages). Whether a path needs NTLM at
// all (family need) and its reachability are decided before any rule.
// Adding a setting is one row in scanner/facts and, unless it is only
// reported, one rule here.
var pathRules = []rule{
	{facts.FamilyOutgoing, (*pathEval).checkOutgoing},
	{facts.FamilySMBClient, (*pathEval).checkSMBClient},
	// The SMB probe of the share host (from the controller): what the host
	// offers, judged against the Core's SMB client signing.
	{facts.FamilySMBClient, (*pathEval).checkSMBProbe},
	{facts.FamilyIncoming, (*pathEval).checkIncoming},
	{facts.FamilyIncoming, (*pathEval).checkForceGuest},
	{facts.FamilyIncoming, (*pathEval).checkServerNameHardening},
	{facts.FamilyDomain, (*pathEval).checkPassThrough},
	{facts.FamilyDomain, (*pathEval).checkAccountDomain},
	// Protected Users before the LM level: the DC refuses a member with
	// STATUS_ACCOUNT_RESTRICTION before it validates the response
	// ([MS-APDS] 3.1.5).
	{facts.FamilyAccount, (*pathEval).checkProtectedUsers},
	{facts.FamilyLMCompat, (*pathEval).checkNTLMLevels},
	{facts.FamilyLMCompat, (*pathEval).checkNTLMv1SSO},
	{facts.FamilyAccount, (*pathEval).checkUseMachineID},
}
