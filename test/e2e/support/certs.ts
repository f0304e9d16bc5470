/**
 * A private CA and certificates signed by it, made with the openssl CLI for one test: central's
 * server certificate (for 127.0.0.1 and localhost), an edge's client certificate, and a second,
 * unrelated CA to show what an unknown CA looks like.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface Pki {
  dir: string;
  ca: { cert: string; key: string };
  otherCa: { cert: string; key: string };
  server: { cert: string; key: string };
  client: { cert: string; key: string };
  /** A client certificate from the other CA: a valid certificate central's CA did not sign. */
  strangerClient: { cert: string; key: string };
}

const openssl = (args: string[], cwd: string) => execFileSync("openssl", args, { cwd, stdio: "pipe" });

function makeCa(dir: string, name: string): { cert: string; key: string } {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.crt`);
  openssl(
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-keyout",
      key,
      "-out",
      cert,
      "-days",
      "2",
      "-subj",
      `/CN=${name}`,
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      "-addext",
      "keyUsage=critical,keyCertSign,cRLSign",
    ],
    dir,
  );
  return { cert, key };
}

function makeLeaf(
  dir: string,
  name: string,
  ca: { cert: string; key: string },
  extensions: string,
): { cert: string; key: string } {
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const cert = join(dir, `${name}.crt`);
  const ext = join(dir, `${name}.ext`);
  writeFileSync(ext, extensions);
  openssl(
    [
      "req",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-keyout",
      key,
      "-out",
      csr,
      "-subj",
      `/CN=${name}`,
    ],
    dir,
  );
  openssl(
    [
      "x509",
      "-req",
      "-in",
      csr,
      "-CA",
      ca.cert,
      "-CAkey",
      ca.key,
      "-CAcreateserial",
      "-out",
      cert,
      "-days",
      "2",
      "-extfile",
      ext,
    ],
    dir,
  );
  return { cert, key };
}

export function makePki(dir: string): Pki {
  mkdirSync(dir, { recursive: true });
  const ca = makeCa(dir, "plantlink-test-ca");
  const otherCa = makeCa(dir, "someone-elses-ca");
  const server = makeLeaf(
    dir,
    "central",
    ca,
    "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nkeyUsage=digitalSignature\n",
  );
  const clientExt = "extendedKeyUsage=clientAuth\nkeyUsage=digitalSignature\n";
  const client = makeLeaf(dir, "edge-site-1", ca, clientExt);
  const strangerClient = makeLeaf(dir, "stranger", otherCa, clientExt);
  return { dir, ca, otherCa, server, client, strangerClient };
}
