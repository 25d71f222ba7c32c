# NTLMSCAN-DISCOVER schema 1
#
# ntlmscan's discovery script for Rapid Recovery Cores, for Windows PowerShell
# 3.0 and later. It is read-only: it imports the Core's PowerShell module and
# lists what the Core protects and where it writes, then prints one JSON
# document between two marker lines on stdout, like the collector.
#
# Input: the only argument is the JSON request (scanner/facts.DiscoverRequest),
# decoded by the bootstrap from stdin: the module name and the Core service's
# name are data there, never part of this script's text. Output:
# scanner/facts.DiscoverResponse. Each object a cmdlet returns is written as a
# bag of its properties, every value as a string: the property names of the
# module's objects are not documented (Quest's "Rapid Recovery Commands and
# Scripting Reference Guide" lists the cmdlets, not their output types), so
# ntlmscan picks the fields it knows on its side and keeps the rest unread.
param([Parameter(Mandatory = $true)][string]$RequestJson)

$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$SchemaVersion = 1
Remove-TypeData -TypeName System.Array -ErrorAction SilentlyContinue
$BeginMarker = '<<<NTLMSCAN-FACTS-BEGIN>>>'
$EndMarker = '<<<NTLMSCAN-FACTS-END>>>'

$request = ConvertFrom-Json -InputObject $RequestJson
if ($request.schema -ne $SchemaVersion) {
    throw "ntlmscan discovery speaks schema $SchemaVersion, the request is schema $($request.schema)"
}

$stepErrors = (New-Object 'System.Collections.Generic.List[object]')
function Add-StepError([string]$Step, $Problem) {
    $stepErrors.Add([ordered]@{ step = $Step; message = [string]$Problem })
}

# One object as name -> string for every property it has.
function ConvertTo-Bag($Item) {
    $bag = [ordered]@{}
    foreach ($p in $Item.PSObject.Properties) {
        if ($null -eq $p.Value) { continue }
        $bag[[string]$p.Name] = [string]$p.Value
    }
    return $bag
}

# Runs one listing cmdlet of the module; a failure is recorded, the rest runs.
function Get-Listing([string]$Cmdlet) {
    $items = (New-Object 'System.Collections.Generic.List[object]')
    try {
        # $Cmdlet is one of the names below in this script, never request data.
        foreach ($item in @(& $Cmdlet -ErrorAction Stop)) {
            if ($null -ne $item) { $items.Add((ConvertTo-Bag $item)) }
        }
    } catch {
        Add-StepError $Cmdlet $_.Exception.Message
    }
    return , $items.ToArray()
}

$response = [ordered]@{
    schema       = $SchemaVersion
    computerName = [string]$env:COMPUTERNAME
    domain       = ''
    domainControllers = @()
    module       = [ordered]@{ name = [string]$request.module; found = $false; version = ''; error = '' }
    coreAccount  = ''
    protected    = @()
    repositories = @()
    archives     = @()
    replicated   = @()
    virtualized  = @()
    errors       = @()
}

try {
    $cs = Get-CimInstance -ClassName Win32_ComputerSystem -ErrorAction Stop
    if ($cs.PartOfDomain) { $response.domain = [string]$cs.Domain }
} catch {
    Add-StepError 'computer' $_.Exception.Message
}
if ($response.domain -ne '') {
    try {
        $ad = [System.DirectoryServices.ActiveDirectory.Domain]::GetComputerDomain()
        $response.domainControllers = @($ad.DomainControllers | ForEach-Object { [string]$_.Name })
    } catch {
        Add-StepError 'domainControllers' $_.Exception.Message
    }
}

try {
    $svc = Get-CimInstance -ClassName Win32_Service -ErrorAction Stop | Where-Object { $_.Name -eq [string]$request.service }
    if ($null -ne $svc) { $response.coreAccount = [string]@($svc)[0].StartName }
} catch {
    Add-StepError 'service' $_.Exception.Message
}

try {
    $module = Import-Module -Name ([string]$request.module) -PassThru -ErrorAction Stop
    $response.module.found = $true
    $response.module.version = [string]@($module)[0].Version
} catch {
    $response.module.error = [string]$_.Exception.Message
}

if ($response.module.found) {
    $response.protected = Get-Listing 'Get-ProtectedServers'
    $response.repositories = Get-Listing 'Get-Repositories'
    $response.archives = Get-Listing 'Get-ScheduledArchives'
    $response.replicated = Get-Listing 'Get-ReplicatedServers'
    $response.virtualized = Get-Listing 'Get-VirtualizedServers'
}
$response.errors = $stepErrors.ToArray()

$json = ConvertTo-Json -InputObject $response -Depth 6 -Compress
$json = [regex]::Replace($json, '[^\x00-\x7F]', { param($m) '\u{0:x4}' -f [int][char]$m.Value })
[Console]::Out.Write("`r`n" + $BeginMarker + "`r`n" + $json + "`r`n" + $EndMarker + "`r`n")
