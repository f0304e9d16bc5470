/**
 * A private certificate authority and a server certificate for central, so the one-machine system
 * forwards edge → central over real HTTPS, verified against a CA the edge is told to trust — the same
 * path a plant uses, not a shortcut with verification turned off.
 *
 * Why an npm library and not `openssl`: the openssl command is an optional package on Debian (absent
 * from minimal installs and slim container images), and `pnpm start` must work with nothing but Node.
 * Node's crypto makes keys but cannot issue X.509 certificates. node-forge (pure JavaScript, no
 * globals, no native parts) builds and signs the certificates; the RSA keys come from Node's native
 * generator, which takes tens of milliseconds where forge's JavaScript one takes seconds.
 */
import { generateKeyPairSync, randomBytes, X509Certificate } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import forge from "node-forge";

export interface TlsFiles {
  /** The CA certificate the edge trusts (PLANTLINK_CENTRAL_CA). */
  caCert: string;
  /** Central's certificate and key (PLANTLINK_TLS_CERT / PLANTLINK_TLS_KEY). */
  serverCert: string;
  serverKey: string;
}

const DAY_MS = 86_400_000;
/** A certificate closer than this to its end is replaced at start, long before a demo could see it expire. */
const RENEW_BEFORE_MS = 30 * DAY_MS;

export function tlsFiles(dir: string): TlsFiles & { caKey: string } {
  return {
    caCert: join(dir, "ca.pem"),
    caKey: join(dir, "ca-key.pem"),
    serverCert: join(dir, "central.pem"),
    serverKey: join(dir, "central-key.pem"),
  };
}

/** The names central's certificate must carry: how the edge, curl and a browser on this machine reach it. */
export function serverNames(): { dns: string[]; ip: string[] } {
  const dns = ["localhost", hostname()].filter(
    (n, i, all) => /^[A-Za-z0-9.-]+$/.test(n) && all.indexOf(n) === i,
  );
  return { dns, ip: ["127.0.0.1", "::1"] };
}

/**
 * The CA and server certificate in `dir`: reused when present, valid for a while yet, and issued by
 * that CA for these names; otherwise made anew (a new CA too, since its key is ours alone to lose).
 */
export async function ensureTls(dir: string, now = new Date()): Promise<TlsFiles & { created: boolean }> {
  const files = tlsFiles(dir);
  if (await stillGood(files, now)) return { ...files, created: false };
  await mkdir(dir, { recursive: true, mode: 0o700 });

  const caKeys = rsaKeys();
  const ca = certificate({
    subject: [
      { name: "commonName", value: `plantlink local CA ${now.toISOString().slice(0, 10)}` },
      { name: "organizationName", value: "plantlink (pnpm start)" },
    ],
    publicKey: caKeys.publicKey,
    days: 10 * 365,
    now,
    extensions: [
      { name: "basicConstraints", cA: true, pathLenConstraint: 0, critical: true },
      { name: "keyUsage", keyCertSign: true, cRLSign: true, critical: true },
      { name: "subjectKeyIdentifier" },
    ],
  });
  ca.setIssuer(ca.subject.attributes);
  ca.sign(caKeys.privateKey, forge.md.sha256.create());

  const serverKeys = rsaKeys();
  const names = serverNames();
  const server = certificate({
    subject: [{ name: "commonName", value: "plantlink central" }],
    publicKey: serverKeys.publicKey,
    // Clients refuse server certificates valid for more than 398 days from public CAs; staying under
    // that anyway keeps the demo certificate acceptable to every client.
    days: 397,
    now,
    extensions: [
      { name: "basicConstraints", cA: false, critical: true },
      { name: "keyUsage", digitalSignature: true, keyEncipherment: true, critical: true },
      { name: "extKeyUsage", serverAuth: true },
      {
        name: "subjectAltName",
        altNames: [
          ...names.dns.map((value) => ({ type: 2, value })),
          ...names.ip.map((ip) => ({ type: 7, ip })),
        ],
      },
      { name: "authorityKeyIdentifier", keyIdentifier: ca.generateSubjectKeyIdentifier().getBytes() },
    ],
  });
  server.setIssuer(ca.subject.attributes);
  server.sign(caKeys.privateKey, forge.md.sha256.create());

  // Keys are written owner-only; the CA key is kept so the same CA can sign more later (see deploy/tls/).
  await writeFile(files.caKey, caKeys.privatePem, { mode: 0o600 });
  await writeFile(files.serverKey, serverKeys.privatePem, { mode: 0o600 });
  await writeFile(files.caCert, forge.pki.certificateToPem(ca), { mode: 0o644 });
  await writeFile(files.serverCert, forge.pki.certificateToPem(server), { mode: 0o644 });
  return { ...files, created: true };
}

function rsaKeys(): {
  privatePem: string;
  privateKey: forge.pki.rsa.PrivateKey;
  publicKey: forge.pki.rsa.PublicKey;
} {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  });
  return {
    privatePem: privateKey,
    privateKey: forge.pki.privateKeyFromPem(privateKey) as forge.pki.rsa.PrivateKey,
    publicKey: forge.pki.publicKeyFromPem(publicKey) as forge.pki.rsa.PublicKey,
  };
}

function certificate(spec: {
  subject: forge.pki.CertificateField[];
  publicKey: forge.pki.rsa.PublicKey;
  days: number;
  now: Date;
  extensions: object[];
}): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = spec.publicKey;
  // Positive (top bit clear) and 16 bytes: RFC 5280 serials are positive and at most 20 octets.
  const serial = randomBytes(16);
  serial[0] = (serial[0] ?? 0) & 0x7f;
  cert.serialNumber = serial.toString("hex");
  // A day of slack before now, so a machine whose clock is a little behind still accepts it.
  cert.validity.notBefore = new Date(spec.now.getTime() - DAY_MS);
  cert.validity.notAfter = new Date(spec.now.getTime() + spec.days * DAY_MS);
  cert.setSubject(spec.subject);
  cert.setExtensions(spec.extensions);
  return cert;
}

async function stillGood(files: ReturnType<typeof tlsFiles>, now: Date): Promise<boolean> {
  try {
    const [caPem, serverPem] = await Promise.all([readFile(files.caCert), readFile(files.serverCert)]);
    await Promise.all([readFile(files.caKey), readFile(files.serverKey)]);
    const ca = new X509Certificate(caPem);
    const server = new X509Certificate(serverPem);
    const names = serverNames();
    return (
      server.verify(ca.publicKey) &&
      new Date(server.validTo).getTime() - now.getTime() > RENEW_BEFORE_MS &&
      new Date(ca.validTo).getTime() - now.getTime() > RENEW_BEFORE_MS &&
      names.ip.every((ip) => server.checkIP(ip) !== undefined) &&
      names.dns.every((dns) => server.checkHost(dns) !== undefined)
    );
  } catch {
    // Missing or unreadable files simply mean "make them"; anything half-written is replaced whole.
    return false;
  }
}
