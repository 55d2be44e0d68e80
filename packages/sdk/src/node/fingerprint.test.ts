import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { machineFingerprint, type Probe } from './fingerprint.js';

const outputs =
  (table: Record<string, string>): Probe =>
  async (command, args) =>
    table[`${command} ${args.join(' ')}`] ?? '';

describe('machineFingerprint', () => {
  it('is stable on this machine, hashed, and differs per salt', async () => {
    const fallbackFile = join(mkdtempSync(join(tmpdir(), 'fp-')), 'machine-id');
    const first = await machineFingerprint({ salt: 'app-a', fallbackFile });
    const second = await machineFingerprint({ salt: 'app-a', fallbackFile });
    const other = await machineFingerprint({ salt: 'app-b', fallbackFile });
    expect(first.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(second).toEqual(first);
    expect(other.fingerprint).not.toBe(first.fingerprint);
    expect(typeof first.isContainer).toBe('boolean');
    expect(typeof first.isVm).toBe('boolean');
  });

  it("reads macOS's IOPlatformUUID and its hypervisor flag", async () => {
    const probe = outputs({
      'ioreg -rd1 -c IOPlatformExpertDevice':
        '+-o J316sAP  <class IOPlatformExpertDevice>\n    "IOPlatformUUID" = "1F2E3D4C-0000-1111-2222-333344445555"\n',
      'sysctl -n kern.hv_vmm_present': '1\n',
      'sysctl -n hw.model': 'VirtualMac2,1\n',
    });
    const mac = await machineFingerprint({}, { platform: 'darwin', probe });
    expect(mac).toMatchObject({
      source: 'io-platform-uuid',
      platform: 'macos',
      isVm: true,
      isContainer: false,
    });
    const again = await machineFingerprint({}, { platform: 'darwin', probe });
    expect(again.fingerprint).toBe(mac.fingerprint);
  });

  it("reads Windows' MachineGuid and recognises a Hyper-V guest", async () => {
    const probe = outputs({
      'reg query HKLM\\SOFTWARE\\Microsoft\\Cryptography /v MachineGuid':
        '\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Cryptography\r\n    MachineGuid    REG_SZ    6a1b2c3d-aaaa-bbbb-cccc-0123456789ab\r\n',
      'powershell -NoProfile -Command (Get-CimInstance Win32_ComputerSystem | Select-Object Manufacturer,Model | Format-List | Out-String)':
        'Manufacturer : Microsoft Corporation\r\nModel        : Virtual Machine\r\n',
    });
    const win = await machineFingerprint({}, { platform: 'win32', probe });
    expect(win).toMatchObject({
      source: 'machine-guid',
      platform: 'windows',
      isVm: true,
      isContainer: false,
    });
    const physical = await machineFingerprint(
      {},
      {
        platform: 'win32',
        probe: outputs({
          'reg query HKLM\\SOFTWARE\\Microsoft\\Cryptography /v MachineGuid':
            'MachineGuid    REG_SZ    6a1b2c3d-aaaa-bbbb-cccc-0123456789ab',
          'powershell -NoProfile -Command (Get-CimInstance Win32_ComputerSystem | Select-Object Manufacturer,Model | Format-List | Out-String)':
            'Manufacturer : Dell Inc.\r\nModel        : Latitude 7440\r\n',
        }),
      },
    );
    expect(physical.isVm).toBe(false);
    // The same id gives the same fingerprint, whatever the letter case.
    expect(physical.fingerprint).toBe(win.fingerprint);
  });

  it('falls back to a generated identifier kept in a file', async () => {
    const fallbackFile = join(mkdtempSync(join(tmpdir(), 'fp-')), 'sub', 'machine-id');
    const first = await machineFingerprint({ fallbackFile }, { platform: 'win32', probe: outputs({}) });
    const second = await machineFingerprint({ fallbackFile }, { platform: 'win32', probe: outputs({}) });
    expect(first.source).toBe('generated');
    expect(second.fingerprint).toBe(first.fingerprint);
  });
});
