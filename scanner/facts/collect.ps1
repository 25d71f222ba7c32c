# NTLMSCAN-COLLECTOR schema 3
#
# ntlmscan's collector, for Windows PowerShell 3.0 and later (Windows Server
# 2012 R2 ships 4.0, so objects are made with New-Object, never with PowerShell
# 5 syntax). It is read-only: it reads
# registry values, WMI/CIM classes and services, asks the SMB client for its
# configuration and opens TCP connections to the targets it is given, then
# prints one JSON document between two marker lines on stdout.
#
# Input: the only argument is the JSON request (scanner/facts.Request), decoded
# by the bootstrap from stdin. Everything that comes from the inventory (service
# names, probe targets, ports) is data in that request; none of it is ever part
# of this script's text, and nothing here turns it into code or into a WQL/WMI
# filter. Output: scanner/facts.Response. Keep both shapes in step with
# scanner/facts and bump the schema on the first line when they change.
param([Parameter(Mandatory = $true)][string]$RequestJson)

$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$SchemaVersion = 3
# Windows PowerShell's extended type data for System.Array makes ConvertTo-Json
# write some arrays as {"value":[...],"Count":n}; without it arrays stay arrays.
Remove-TypeData -TypeName System.Array -ErrorAction SilentlyContinue
$BeginMarker = '<<<NTLMSCAN-FACTS-BEGIN>>>'
$EndMarker = '<<<NTLMSCAN-FACTS-END>>>'

$request = ConvertFrom-Json -InputObject $RequestJson
if ($request.schema -ne $SchemaVersion) {
    throw "ntlmscan collector speaks schema $SchemaVersion, the request is schema $($request.schema)"
}

# Where the time goes, phase by phase (milliseconds), for the facts.
$total = [System.Diagnostics.Stopwatch]::StartNew()
$timings = [ordered]@{}
$phase = @{ start = [long]0 }
function Stop-Phase([string]$Name) {
    $now = $total.ElapsedMilliseconds
    $timings[$Name] = [int]($now - $phase.start)
    $phase.start = $now
}

# Steps that fail are recorded and the rest still runs.
$stepErrors = (New-Object 'System.Collections.Generic.List[object]')
function Add-StepError([string]$Step, $Problem) {
    $stepErrors.Add([ordered]@{ step = $Step; message = [string]$Problem })
}

# CIM first; WMI (DCOM) where the WinRM CIM provider is unavailable.
function Get-WmiClass([string]$ClassName) {
    try { return Get-CimInstance -ClassName $ClassName -ErrorAction Stop }
    catch { return Get-WmiObject -Class $ClassName -ErrorAction Stop }
}

# --- identity ---------------------------------------------------------------
$identity = [ordered]@{
    netbiosName = [string]$env:COMPUTERNAME; dnsHostName = ''; domain = ''; partOfDomain = $false
    domainRole = 0; osCaption = ''; osVersion = ''; osBuild = 0
}
try {
    $cs = Get-WmiClass 'Win32_ComputerSystem'
    $identity.netbiosName = [string]$cs.Name
    $identity.dnsHostName = [string]$cs.DNSHostName
    $identity.domain = [string]$cs.Domain          # the workgroup name when not joined
    $identity.partOfDomain = [bool]$cs.PartOfDomain
    $identity.domainRole = [int]$cs.DomainRole
} catch { Add-StepError 'identity' $_ }
try {
    $os = Get-WmiClass 'Win32_OperatingSystem'
    $identity.osCaption = ([string]$os.Caption).Trim()
    $identity.osVersion = [string]$os.Version
    $identity.osBuild = [int]$os.BuildNumber
} catch { Add-StepError 'os' $_ }
Stop-Phase 'identityMs'

# --- registry ---------------------------------------------------------------
# Reads through RegistryKey to get the value kind, and to tell an absent value
# ("Not defined") from one that exists; a value that cannot be read keeps its
# error and counts as unknown, never as absent.
function Read-RegistryValue([string]$Key, [string]$Name) {
    $entry = [ordered]@{ key = $Key; name = $Name; present = $false }
    try {
        if ($Key -match '^(HKLM|HKEY_LOCAL_MACHINE)\\(.+)$') { $path = $Matches[2] }
        else { throw "only HKLM keys can be read: $Key" }
        $sub = [Microsoft.Win32.Registry]::LocalMachine.OpenSubKey($path, $false)
        if ($null -eq $sub) { return $entry }
        try {
            if (@($sub.GetValueNames()) -notcontains $Name) { return $entry }
            $kind = $sub.GetValueKind($Name)
            $data = $sub.GetValue($Name, $null, [Microsoft.Win32.RegistryValueOptions]::DoNotExpandEnvironmentNames)
            $entry.present = $true
            switch ($kind.ToString()) {
                'DWord' {
                    $entry.type = 'REG_DWORD'
                    $entry.dword = [uint64][BitConverter]::ToUInt32([BitConverter]::GetBytes([int32]$data), 0)
                }
                'QWord' {
                    $entry.type = 'REG_QWORD'
                    $entry.dword = [BitConverter]::ToUInt64([BitConverter]::GetBytes([int64]$data), 0)
                }
                'String' { $entry.type = 'REG_SZ'; $entry.string = [string]$data }
                'ExpandString' { $entry.type = 'REG_EXPAND_SZ'; $entry.string = [string]$data }
                'MultiString' { $entry.type = 'REG_MULTI_SZ'; $entry.strings = @([string[]]$data) }
                'Binary' { $entry.type = 'REG_BINARY'; $entry.string = [Convert]::ToBase64String([byte[]]$data) }
                default { $entry.type = 'REG_' + $kind.ToString().ToUpperInvariant() }
            }
        } finally { $sub.Close() }
    } catch {
        $entry.present = $false
        $entry.error = [string]$_.Exception.Message
    }
    return $entry
}
$registry = (New-Object 'System.Collections.Generic.List[object]')
foreach ($item in @($request.registry)) {
    if ($null -eq $item) { continue }
    $registry.Add((Read-RegistryValue ([string]$item.key) ([string]$item.name)))
}
Stop-Phase 'registryMs'

# --- services ---------------------------------------------------------------
# Exact, case-insensitive name match over the full list (no wildcards, no WQL
# filter built from request data). Win32_Service gives the logon account;
# Get-Service is the fallback without it. If neither can list services, the
# services read as not present and Errors says why: the reader must treat
# them as unknown.
$services = (New-Object 'System.Collections.Generic.List[object]')
$wanted = @($request.services | Where-Object { $null -ne $_ })
if ($wanted.Count -gt 0) {
    $all = $null; $fromWmi = $true
    try { $all = @(Get-WmiClass 'Win32_Service') }
    catch {
        Add-StepError 'services.wmi' $_
        $fromWmi = $false
        try { $all = @(Get-Service -ErrorAction Stop) } catch { Add-StepError 'services' $_ }
    }
    foreach ($name in $wanted) {
        $svc = [ordered]@{ name = [string]$name; present = $false }
        $found = @($all | Where-Object { $null -ne $_ -and [string]$_.Name -eq [string]$name }) | Select-Object -First 1
        if ($null -ne $found) {
            $svc.present = $true
            $svc.displayName = [string]$found.DisplayName
            if ($fromWmi) {
                $svc.state = [string]$found.State
                $svc.startMode = [string]$found.StartMode
                $svc.logonAs = [string]$found.StartName
            } else {
                $svc.state = [string]$found.Status
            }
        }
        $services.Add($svc)
    }
}
Stop-Phase 'servicesMs'

# --- SMB client configuration -----------------------------------------------
# Straight from CIM, as Get-SmbClientConfiguration itself does (its CDXML
# calls the static method GetConfiguration of MSFT_SmbClientConfiguration in
# ROOT/Microsoft/Windows/SMB): no command lookup, whose module discovery costs
# seconds per host without a profile. Before Windows 8 / Server 2012 the
# namespace or class does not exist (CimException NativeErrorCode
# InvalidNamespace / InvalidClass): the configuration is not available.
# Not yet run against real hosts (UNCONFIRMED): the method's out parameter
# read as $res.Output, and those error codes on Windows Server 2008 R2.
$smbClient = $null
if ($request.smbClientConfig) {
    $smbClient = [ordered]@{ available = $false }
    try {
        $res = Invoke-CimMethod -Namespace 'ROOT/Microsoft/Windows/SMB' -ClassName 'MSFT_SmbClientConfiguration' -MethodName 'GetConfiguration' -ErrorAction Stop
        if ($res.ReturnValue -ne 0) { throw ('MSFT_SmbClientConfiguration.GetConfiguration returned ' + $res.ReturnValue) }
        $cfg = $res.Output
        $smbClient.available = $true
        # BlockNTLM exists only on Windows 11 24H2 / Server 2025 and later.
        if ($cfg.PSObject.Properties['BlockNTLM']) { $smbClient.blockNTLM = [bool]$cfg.BlockNTLM }
        # Whether any build shows the exception list here is UNCONFIRMED;
        # the registry values are read as well (request.registry).
        if ($cfg.PSObject.Properties['BlockNTLMServerExceptionList']) {
            $list = $cfg.BlockNTLMServerExceptionList
            if ($null -eq $list) { $smbClient.blockNTLMServerExceptionList = @() }
            else { $smbClient.blockNTLMServerExceptionList = @([string[]]$list) }
        }
        if ($cfg.PSObject.Properties['RequireSecuritySignature']) { $smbClient.requireSecuritySignature = [bool]$cfg.RequireSecuritySignature }
        if ($cfg.PSObject.Properties['EnableSecuritySignature']) { $smbClient.enableSecuritySignature = [bool]$cfg.EnableSecuritySignature }
    } catch {
        $smbClient.available = $false
        $code = ''
        if ($_.Exception.PSObject.Properties['NativeErrorCode']) { $code = [string]$_.Exception.NativeErrorCode }
        if (@('InvalidNamespace', 'InvalidClass') -notcontains $code) { $smbClient.error = [string]$_.Exception.Message }
    }
}
Stop-Phase 'smbClientMs'

# --- policy sources (RSoP) --------------------------------------------------
# Which GPO sets each value: the RSoP logging data the Group Policy engine
# keeps in root\rsop\computer, read with CIM (not gpresult /x: no elevated
# child process, no temporary file, no XML shape to guess). Each query has its
# own timeout; a failure leaves the sources unknown and never fails the host.
$policySources = $null
if ($request.policySources) {
    $policySources = [ordered]@{ method = 'rsop-wmi'; status = 'ok'; ms = 0; gpos = @(); settings = @() }
    $rsopClock = [Diagnostics.Stopwatch]::StartNew()
    # Only the values asked for (request.registry): a domain member's RSoP can
    # hold thousands of Administrative Templates settings. Compared as strings
    # here, never turned into a WQL filter.
    $rsopWanted = @{}
    foreach ($item in @($request.registry)) {
        if ($null -eq $item) { continue }
        $rsopWanted[(([string]$item.key + '\' + [string]$item.name).ToLowerInvariant() -replace '^(hklm|hkey_local_machine)\\', '')] = $true
    }
    function Test-RsopWanted([string]$Path) {
        return $rsopWanted.ContainsKey(($Path.ToLowerInvariant() -replace '^(hklm|hkey_local_machine|machine)\\', ''))
    }
    try {
        $rsopQuery = @{ Namespace = 'root\rsop\computer'; OperationTimeoutSec = 20; ErrorAction = 'Stop' }
        $policySources.gpos = @(Get-CimInstance @rsopQuery -ClassName 'RSOP_GPO' | ForEach-Object {
            [ordered]@{ id = [string]$_.id; name = [string]$_.name; guid = [string]$_.guidName }
        })
        $rsopSettings = (New-Object 'System.Collections.Generic.List[object]')
        # Security Options (the Restrict NTLM policies, LmCompatibilityLevel...)
        # are logged as security registry values: Path is MACHINE\System\...\Name.
        foreach ($v in @(Get-CimInstance @rsopQuery -ClassName 'RSOP_RegistryValue')) {
            if (-not (Test-RsopWanted ([string]$v.Path))) { continue }
            $rsopSettings.Add([ordered]@{ path = [string]$v.Path; gpoId = [string]$v.GPOID; precedence = [int]$v.precedence; som = [string]$v.SOMID; class = 'RSOP_RegistryValue' })
        }
        # Administrative Templates (the SMB client's Block NTLM policies).
        foreach ($v in @(Get-CimInstance @rsopQuery -ClassName 'RSOP_RegistryPolicySetting')) {
            if (-not $v.valueName -or -not (Test-RsopWanted ([string]$v.registryKey + '\' + [string]$v.valueName))) { continue }
            $rsopSettings.Add([ordered]@{ path = ([string]$v.registryKey + '\' + [string]$v.valueName); gpoId = [string]$v.GPOID; precedence = [int]$v.precedence; som = [string]$v.SOMID; class = 'RSOP_RegistryPolicySetting' })
        }
        $policySources.settings = $rsopSettings.ToArray()
        # With RSoP logging off the namespace holds no GPO at all (not even the
        # local one): the sources are unknown, not "no GPO".
        if ($policySources.gpos.Count -eq 0) { $policySources.status = 'unavailable' }
    } catch {
        $policySources.status = 'error'
        $policySources.error = [string]$_.Exception.Message
    }
    $policySources.ms = [long]$rsopClock.ElapsedMilliseconds
}
Stop-Phase 'rsopMs'

# --- reachability probes ----------------------------------------------------
# All DNS lookups start at once, then a TCP connect to every port of every
# resolved address (IPv4 and IPv6) starts at once, each phase bounded by one
# deadline, so N probes cost about two timeouts in total.
function Get-SocketErrorText($Problem) {
    $e = $Problem
    while ($null -ne $e -and -not ($e -is [System.Net.Sockets.SocketException])) { $e = $e.InnerException }
    if ($null -eq $e) { return [string]$Problem.Message }
    switch ($e.SocketErrorCode.ToString()) {
        'ConnectionRefused' { return 'refused' }
        'TimedOut' { return 'timeout' }
        'HostUnreachable' { return 'unreachable' }
        'NetworkUnreachable' { return 'unreachable' }
        default { return [string]$e.Message }
    }
}
$probeResults = (New-Object 'System.Collections.Generic.List[object]')
$probeList = @($request.probes | Where-Object { $null -ne $_ })
if ($probeList.Count -gt 0) {
    $timeoutMs = 3000
    if ($request.probeTimeoutMs -gt 0) { $timeoutMs = [int]$request.probeTimeoutMs }
    $work = (New-Object 'System.Collections.Generic.List[object]')
    foreach ($p in $probeList) {
        $result = [ordered]@{ target = [string]$p.target; addresses = @(); ports = (New-Object 'System.Collections.Generic.List[object]') }
        $job = @{ result = $result; lookup = $null; addrs = @(); byAddress = $null; ports = @($p.ports) }
        try { $job.lookup = [System.Net.Dns]::BeginGetHostAddresses([string]$p.target, $null, $null) }
        catch { $result.dnsError = Get-SocketErrorText $_.Exception }
        $work.Add($job)
        $probeResults.Add($result)
    }
    $dnsDeadline = [DateTime]::UtcNow.AddMilliseconds($timeoutMs)
    foreach ($job in $work) {
        if ($null -eq $job.lookup) { continue }
        $left = [int][Math]::Max(0, ($dnsDeadline - [DateTime]::UtcNow).TotalMilliseconds)
        if (-not $job.lookup.AsyncWaitHandle.WaitOne($left)) { $job.result.dnsError = 'timeout'; continue }
        try {
            $job.addrs = @([System.Net.Dns]::EndGetHostAddresses($job.lookup))
            $job.result.addresses = @($job.addrs | ForEach-Object { $_.IPAddressToString })
            if ($job.addrs.Count -eq 0) { $job.result.dnsError = 'no address' }
        } catch { $job.result.dnsError = Get-SocketErrorText $_.Exception }
    }
    $attempts = (New-Object 'System.Collections.Generic.List[object]')
    $clock = [System.Diagnostics.Stopwatch]::StartNew()
    foreach ($job in $work) {
        $job.byAddress = (New-Object 'System.Collections.Generic.List[object]')
        foreach ($addr in $job.addrs) {
            $ar = [ordered]@{ address = $addr.IPAddressToString; ports = (New-Object 'System.Collections.Generic.List[object]') }
            $job.byAddress.Add($ar)
            foreach ($port in $job.ports) {
                $pr = [ordered]@{ port = [int]$port; open = $false; elapsedMs = 0 }
                $ar.ports.Add($pr)
                try {
                    $client = New-Object -TypeName System.Net.Sockets.TcpClient -ArgumentList @($addr.AddressFamily)
                    $async = $client.BeginConnect($addr, [int]$port, $null, $null)
                    $attempts.Add(@{ port = $pr; client = $client; async = $async; started = $clock.ElapsedMilliseconds })
                } catch { $pr.error = Get-SocketErrorText $_.Exception }
            }
        }
    }
    # Poll rather than WaitAny: the console thread is STA and WaitAny takes at
    # most 64 handles.
    while ($attempts.Count -gt 0) {
        $still = (New-Object 'System.Collections.Generic.List[object]')
        foreach ($a in $attempts) {
            $waited = $clock.ElapsedMilliseconds - $a.started
            if ($a.async.IsCompleted) {
                $a.port.elapsedMs = [int]$waited
                try { $a.client.EndConnect($a.async); $a.port.open = $true }
                catch { $a.port.error = Get-SocketErrorText $_.Exception }
                $a.client.Close()
            } elseif ($waited -ge $timeoutMs) {
                $a.port.elapsedMs = [int]$waited
                $a.port.error = 'timeout'
                $a.client.Close()
            } else { $still.Add($a) }
        }
        $attempts = $still
        if ($attempts.Count -gt 0) { Start-Sleep -Milliseconds 10 }
    }
    # What the Core gets connecting by name: it tries the addresses in DNS
    # order, so a port is open when any address answers, else it fails with
    # the first address's error.
    foreach ($job in $work) {
        foreach ($port in $job.ports) {
            $pr = [ordered]@{ port = [int]$port; open = $false; elapsedMs = 0 }
            $first = $null; $hit = $null
            foreach ($ar in $job.byAddress) {
                foreach ($x in $ar.ports) {
                    if ($x.port -ne $pr.port) { continue }
                    if ($null -eq $first) { $first = $x }
                    if ($x.open -and $null -eq $hit) { $hit = $x }
                }
            }
            if ($null -ne $hit) { $pr.open = $true; $pr.elapsedMs = $hit.elapsedMs }
            elseif ($null -ne $first) { $pr.elapsedMs = $first.elapsedMs; if ($first.Contains('error')) { $pr.error = $first.error } }
            else { $pr.error = 'dns' }
            $job.result.ports.Add($pr)
        }
        $job.result.ports = $job.result.ports.ToArray()
        $job.result.byAddress = @($job.byAddress | ForEach-Object { [ordered]@{ address = $_.address; ports = $_.ports.ToArray() } })
    }
}

Stop-Phase 'probesMs'

# --- NTLM events ------------------------------------------------------------
# The IDs, the time window and the cap are in the Get-WinEvent query itself,
# so the host never reads more than maxEvents events (newest first). Events
# are aggregated here, one group per ID, counterpart, workstation, account and
# process, so the answer stays small whatever the log holds. Which EventData
# names give those keys is data in the request (scanner/facts.EventFields).
function Get-FirstField($Data, $Names) {
    foreach ($n in @($Names)) {
        if ($null -eq $n) { continue }
        $v = [string]$Data[[string]$n]
        if ($null -ne $v) { $v = $v.Trim() }
        if ($v -and $v -ne '-') { return $v }
    }
    return ''
}
$ntlmEvents = $null
if ($null -ne $request.events) {
    $q = $request.events
    $ntlmEvents = [ordered]@{ available = $false; days = [int]$q.days; read = 0; ungrouped = 0; groups = @() }
    $fieldsById = @{}
    foreach ($f in @($q.fields)) { if ($null -ne $f) { $fieldsById[[int]$f.id] = $f } }
    $groups = [ordered]@{}
    try {
        $filter = @{ LogName = [string]$q.logName; Id = [int[]]@($fieldsById.Keys); StartTime = [DateTime]::Now.AddDays(-[int]$q.days) }
        try {
            Get-WinEvent -FilterHashtable $filter -MaxEvents ([int]$q.maxEvents) -ErrorAction Stop | ForEach-Object {
                $ntlmEvents.read++
                $f = $fieldsById[[int]$_.Id]
                $data = @{}
                $x = [xml]$_.ToXml()
                $i = 0
                foreach ($d in @($x.Event.EventData.Data)) {
                    if ($null -eq $d) { continue }
                    $name = [string]$d.Name
                    if (-not $name -and $i -lt @($f.positional).Count) { $name = [string]@($f.positional)[$i] }
                    if ($name) { $data[$name] = [string]$d.InnerText }
                    $i++
                }
                $user = Get-FirstField $data $f.user; $dom = Get-FirstField $data $f.domain
                $account = $user
                if ($user -and $dom) { $account = $dom + '\' + $user }
                $g = [ordered]@{ id = [int]$_.Id; counterpart = (Get-FirstField $data $f.counterpart); workstation = (Get-FirstField $data $f.workstation)
                    account = $account; process = (Get-FirstField $data $f.process) }
                $key = '{0}|{1}|{2}|{3}|{4}' -f $g.id, $g.counterpart, $g.workstation, $g.account, $g.process
                $t = $_.TimeCreated.ToUniversalTime().ToString('o')
                if ($groups.Contains($key)) {
                    $old = $groups[$key]; $old.count++
                    if ($t -lt $old.first) { $old.first = $t }
                    if ($t -gt $old.last) { $old.last = $t }
                } elseif ($groups.Count -lt [int]$q.maxGroups) {
                    $g.count = 1; $g.first = $t; $g.last = $t
                    $groups[$key] = $g
                } else { $ntlmEvents.ungrouped++ }
            }
            $ntlmEvents.available = $true
        } catch {
            # An empty window is an answer, not a failure.
            if ([string]$_.FullyQualifiedErrorId -like 'NoMatchingEventsFound*') { $ntlmEvents.available = $true }
            else { throw }
        }
    } catch { $ntlmEvents.error = [string]$_.Exception.Message }
    $ntlmEvents.capped = ($ntlmEvents.read -ge [int]$q.maxEvents)
    $ntlmEvents.groups = @($groups.Values)
}
# Credential Guard runs when Win32_DeviceGuard's SecurityServicesRunning
# contains 1.
$credentialGuard = $null
if ($request.credentialGuard) {
    $credentialGuard = [ordered]@{ available = $false }
    try {
        $dg = Get-CimInstance -Namespace 'root\Microsoft\Windows\DeviceGuard' -ClassName 'Win32_DeviceGuard' -ErrorAction Stop
        $credentialGuard.available = $true
        $credentialGuard.configured = (@($dg.SecurityServicesConfigured) -contains 1)
        $credentialGuard.running = (@($dg.SecurityServicesRunning) -contains 1)
    } catch { $credentialGuard.error = [string]$_.Exception.Message }
}
Stop-Phase 'eventsMs'
$timings.totalMs = [int]$total.ElapsedMilliseconds

# --- answer -----------------------------------------------------------------
$response = [ordered]@{
    schema = $SchemaVersion
    identity = $identity
    registry = $registry.ToArray()
    services = $services.ToArray()
    probes = $probeResults.ToArray()
    errors = $stepErrors.ToArray()
    timings = $timings
}
if ($null -ne $smbClient) { $response.smbClient = $smbClient }
if ($null -ne $policySources) { $response.policySources = $policySources }
if ($null -ne $ntlmEvents) { $response.ntlmEvents = $ntlmEvents }
if ($null -ne $credentialGuard) { $response.credentialGuard = $credentialGuard }
$json = ConvertTo-Json -InputObject $response -Depth 8 -Compress
# Escape everything outside ASCII so the console code page cannot garble it.
$json = [regex]::Replace($json, '[^\x00-\x7F]', { param($m) '\u{0:x4}' -f [int][char]$m.Value })
[Console]::Out.Write("`r`n" + $BeginMarker + "`r`n" + $json + "`r`n" + $EndMarker + "`r`n")
[Console]::Out.Flush()
