import { execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { homedir, platform as osPlatform, release } from 'node:os';
import { dirname, join } from 'node:path';

export interface MachineFingerprint {
  /** SHA-256 (hex) of the machine's identifier and the app's salt: stable across reboots, not reversible. */
  fingerprint: string;
  /** Where the identifier came from. */
  source: 'machine-id' | 'dbus-machine-id' | 'io-platform-uuid' | 'machine-guid' | 'generated';
  platform: 'linux' | 'macos' | 'windows' | 'other';
  /** A readable OS description for the server's `platform` field. */
  platformName: string;
  /** Runs inside a container (Docker, Podman, Kubernetes, LXC …): the identifier may be the image's. */
  isContainer: boolean;
  /** Runs in a virtual machine (a hypervisor was detected). */
  isVm: boolean;
}

export interface FingerprintOptions {
  /** Mixed into the hash so two vendors' apps on one machine get unrelated fingerprints. */
  salt?: string;
  /** Where to keep a generated identifier when the OS offers none; default ~/.keyward/machine-id. */
  fallbackFile?: string;
}

export type Probe = (command: string, args: string[]) => Promise<string>;

const run: Probe = (command, args) =>
  new Promise((resolve) => {
    execFile(command, args, { timeout: 5000, windowsHide: true }, (error, stdout) =>
      resolve(error ? '' : String(stdout)),
    );
  });

const readText = async (path: string) => {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch {
    return '';
  }
};

const HYPERVISORS =
  /vmware|virtualbox|vbox|kvm|qemu|xen|hyper-v|virtual machine|parallels|bochs|bhyve|amazon ec2|google compute|openstack/i;

async function linux(): Promise<{
  id: string;
  source: MachineFingerprint['source'];
  isVm: boolean;
  isContainer: boolean;
}> {
  let id = await readText('/etc/machine-id');
  let source: MachineFingerprint['source'] = 'machine-id';
  if (!id) {
    id = await readText('/var/lib/dbus/machine-id');
    source = 'dbus-machine-id';
  }
  const cgroup = await readText('/proc/1/cgroup');
  const isContainer =
    existsSync('/.dockerenv') ||
    existsSync('/run/.containerenv') ||
    Boolean(process.env.container) ||
    Boolean(process.env.KUBERNETES_SERVICE_HOST) ||
    /docker|kubepods|containerd|lxc|podman|libpod/.test(cgroup);
  const dmi = [
    await readText('/sys/class/dmi/id/product_name'),
    await readText('/sys/class/dmi/id/sys_vendor'),
    await readText('/sys/class/dmi/id/board_vendor'),
  ].join(' ');
  const cpuinfo = await readText('/proc/cpuinfo');
  const isVm = HYPERVISORS.test(dmi) || /^flags\s*:.*\bhypervisor\b/m.test(cpuinfo);
  return { id, source, isVm, isContainer };
}

async function macos(probe: Probe) {
  const ioreg = await probe('ioreg', ['-rd1', '-c', 'IOPlatformExpertDevice']);
  const id = /"IOPlatformUUID"\s*=\s*"([^"]+)"/.exec(ioreg)?.[1] ?? '';
  const vmm = (await probe('sysctl', ['-n', 'kern.hv_vmm_present'])).trim();
  const model = await probe('sysctl', ['-n', 'hw.model']);
  return {
    id,
    source: 'io-platform-uuid' as const,
    isVm: vmm === '1' || HYPERVISORS.test(model),
    isContainer: false,
  };
}

async function windows(probe: Probe) {
  const reg = await probe('reg', ['query', 'HKLM\\SOFTWARE\\Microsoft\\Cryptography', '/v', 'MachineGuid']);
  const id = /MachineGuid\s+REG_SZ\s+(\S+)/i.exec(reg)?.[1] ?? '';
  const system = await probe('powershell', [
    '-NoProfile',
    '-Command',
    '(Get-CimInstance Win32_ComputerSystem | Select-Object Manufacturer,Model | Format-List | Out-String)',
  ]);
  const isContainer = (
    await probe('reg', ['query', 'HKLM\\SYSTEM\\CurrentControlSet\\Control', '/v', 'ContainerType'])
  ).includes('ContainerType');
  return { id, source: 'machine-guid' as const, isVm: HYPERVISORS.test(system), isContainer };
}

async function generated(file: string): Promise<string> {
  const existing = await readText(file);
  if (existing) return existing;
  const id = randomUUID();
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  await writeFile(file, `${id}\n`, { mode: 0o600 });
  return id;
}

/**
 * This machine's fingerprint: Linux's /etc/machine-id, macOS's IOPlatformUUID, Windows' MachineGuid — each
 * set at OS installation and stable across reboots — hashed with the app's salt. Also says whether the app
 * runs in a container or a VM, for policies that refuse VMs and for vendors who want to know.
 */
export async function machineFingerprint(
  options: FingerprintOptions = {},
  /** For tests: another platform and its command outputs. */
  system: { platform?: NodeJS.Platform; probe?: Probe } = {},
): Promise<MachineFingerprint> {
  const os = system.platform ?? osPlatform();
  const probe = system.probe ?? run;
  const platform =
    os === 'linux' ? 'linux' : os === 'darwin' ? 'macos' : os === 'win32' ? 'windows' : 'other';
  const found =
    platform === 'linux'
      ? await linux()
      : platform === 'macos'
        ? await macos(probe)
        : platform === 'windows'
          ? await windows(probe)
          : { id: '', source: 'generated' as const, isVm: false, isContainer: false };
  let { id, source } = found;
  if (!id) {
    id = await generated(options.fallbackFile ?? join(homedir(), '.keyward', 'machine-id'));
    source = 'generated';
  }
  const fingerprint = createHash('sha256')
    .update(`keyward-fingerprint|${options.salt ?? ''}|${id.toLowerCase()}`)
    .digest('hex');
  return {
    fingerprint,
    source,
    platform,
    platformName: `${platform === 'other' ? os : platform} ${release()}`,
    isContainer: found.isContainer,
    isVm: found.isVm,
  };
}
