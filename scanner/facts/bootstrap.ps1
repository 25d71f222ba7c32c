# NTLMSCAN-BOOTSTRAP: stdin = ntlmscan collector script, 4 NULs, base64 UTF-8 JSON request.
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
try {
    $stdin = $input | Out-String
    $parts = $stdin.Split([string[]]@("`0`0`0`0"), 2, [StringSplitOptions]::None)
    if ($parts.Count -ne 2) { throw 'stdin does not hold the collector script and its request' }
    $request = [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($parts[1].Trim()))
    & ([ScriptBlock]::Create($parts[0])) $request
} catch {
    [Console]::Error.WriteLine('ntlmscan collector failed at line ' + $_.InvocationInfo.ScriptLineNumber + ': ' + $_.Exception.Message)
    exit 1
}
exit 0
