# Runs commands through pywinrm (Debian python3-winrm 0.3.0) with Kerberos
# and message encryption, as an independent client for the simulator.
# Usage: pywinrm_kerberos_run.py URL SPN_HOST COMMAND...
# The ticket comes from KRB5CCNAME (kinit) and krb5.conf from KRB5_CONFIG.
#
# Debian's pykerberos lacks authGSSWinRMEncryptMessage, so requests-kerberos
# cannot seal messages there. This script swaps pywinrm's HTTPKerberosAuth
# for a small requests auth on MIT GSSAPI (python3-gssapi): pywinrm's own
# Encryption class still frames the messages, and MIT's gss_wrap_iov /
# gss_unwrap_iov do the RFC 4121 work, so the simulator meets both
# independent implementations.
import base64
import json
import sys

import gssapi
import gssapi.raw as graw
import requests
import winrm
import winrm.transport


class GSSAuth(requests.auth.AuthBase):
    winrm_encryption_available = True

    def __init__(self, host, **_):
        self.host = host
        self.ctx = None

    def _token(self):
        name = gssapi.Name("HTTP@" + self.host, gssapi.NameType.hostbased_service)
        flags = (gssapi.RequirementFlag.mutual_authentication | gssapi.RequirementFlag.out_of_sequence_detection |
                 gssapi.RequirementFlag.integrity | gssapi.RequirementFlag.confidentiality)
        self.ctx = gssapi.SecurityContext(name=name, usage="initiate", flags=flags,
                                          mech=gssapi.MechType.kerberos)
        return self.ctx.step()

    def __call__(self, r):
        if r.body is None:  # the blank message that sets up the context
            r.headers["Authorization"] = "Negotiate " + base64.b64encode(self._token()).decode()
            r.register_hook("response", self._mutual)
        return r

    def _mutual(self, resp, **_):
        if resp.status_code != 200:
            raise RuntimeError("Kerberos logon refused: HTTP %d" % resp.status_code)
        hdr = resp.headers.get("WWW-Authenticate", "")
        scheme, _, tok = hdr.partition(" ")
        if scheme.lower() != "negotiate" or not tok:
            raise RuntimeError("no AP-REP from the host (mutual authentication)")
        self.ctx.step(base64.b64decode(tok))
        if not self.ctx.complete:
            raise RuntimeError("mutual authentication incomplete")
        return resp

    def wrap_winrm(self, host, message):
        iov = graw.IOV(graw.IOVBufferType.header, message, graw.IOVBufferType.padding, std_layout=False)
        graw.wrap_iov(self.ctx, iov, confidential=True)
        return iov[1].value + (iov[2].value or b""), iov[0].value

    def unwrap_winrm(self, host, message, header):
        iov = graw.IOV((graw.IOVBufferType.header, False, header), message, (graw.IOVBufferType.data, False, b""),
                       std_layout=False)
        graw.unwrap_iov(self.ctx, iov)
        return iov[1].value


class PatchedKerberosAuth(GSSAuth):
    """Takes the arguments pywinrm passes to requests_kerberos.HTTPKerberosAuth."""
    host = None

    def __init__(self, mutual_authentication=None, delegate=False, force_preemptive=False, principal=None,
                 hostname_override=None, sanitize_mutual_error_response=True, service="HTTP", send_cbt=True):
        GSSAuth.__init__(self, PatchedKerberosAuth.host)


def main():
    url, host, commands = sys.argv[1], sys.argv[2], sys.argv[3:]
    PatchedKerberosAuth.host = host
    winrm.transport.HAVE_KERBEROS = True
    winrm.transport.HTTPKerberosAuth = PatchedKerberosAuth
    winrm.transport.REQUIRED = None
    session = winrm.Session(url, auth=(None, None), transport="kerberos", message_encryption="always")
    for cmd in commands:
        r = session.run_cmd(cmd)
        print(json.dumps({"cmd": cmd,
                          "stdout": r.std_out.decode("utf-8", "replace"),
                          "stderr": r.std_err.decode("utf-8", "replace"),
                          "status": r.status_code}))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
