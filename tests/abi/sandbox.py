"""sandbox.py - the TikTok sandbox on loopback over HTTPS, for the Python host.

Makes a throwaway CA and a 127.0.0.1 server certificate with the openssl
command ($TT_OPENSSL), starts $TT_SANDBOX with them in a temporary directory
and talks to it with TLS verification on (the CA file only).
"""
import http.client
import json
import os
import shutil
import ssl
import subprocess
import tempfile
import urllib.parse

_EXT = ("subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n"
        "keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n")


def _openssl(openssl, *args):
    subprocess.run([openssl, *args], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.PIPE)


class Sandbox:
    def __init__(self, binary, openssl):
        self.dir = tempfile.mkdtemp(prefix="pyhost-")
        self.proc = None
        d = lambda n: os.path.join(self.dir, n)  # noqa: E731
        self.ca_file = d("ca.pem")
        with open(d("ext.cnf"), "w", encoding="ascii") as f:
            f.write(_EXT)
        ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        _openssl(openssl, "req", "-x509", *ec, "-keyout", d("ca.key"), "-out", self.ca_file,
                 "-days", "2", "-subj", "/CN=pyhost test CA")
        _openssl(openssl, "req", *ec, "-keyout", d("srv.key"), "-out", d("srv.csr"),
                 "-subj", "/CN=127.0.0.1")
        _openssl(openssl, "x509", "-req", "-in", d("srv.csr"), "-CA", self.ca_file, "-CAkey",
                 d("ca.key"), "-set_serial", "0x%s" % os.urandom(8).hex()[1:],
                 "-out", d("srv.pem"), "-days", "2", "-extfile", d("ext.cnf"))
        self.proc = subprocess.Popen(
            [binary, "--listen", "127.0.0.1:0", "--tls-cert", d("srv.pem"),
             "--tls-key", d("srv.key"), "--data-dir", self.dir],
            stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the sandbox %s exited before it was ready" % binary)
        self.base_url = json.loads(line)["base_url"]
        self.world = self.get_json("/sandbox/world")
        self.tls = ssl.create_default_context(cafile=self.ca_file)

    def _conn(self):
        u = urllib.parse.urlsplit(self.base_url)
        ctx = ssl.create_default_context(cafile=self.ca_file)
        return http.client.HTTPSConnection(u.hostname, u.port, context=ctx, timeout=30)

    def request(self, method, path, body=None):
        """(status, headers, body bytes); never follows redirects."""
        c = self._conn()
        try:
            c.request(method, path, body=body)
            r = c.getresponse()
            return r.status, dict(r.getheaders()), r.read()
        finally:
            c.close()

    def get_json(self, path):
        status, _, body = self.request("GET", path)
        if status != 200:
            raise RuntimeError("GET %s: HTTP %d" % (path, status))
        return json.loads(body)

    def stop(self):
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc.stdout.close()
            self.proc = None
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
