import { execFileSync } from 'node:child_process';

/** Whether php-cli with the cURL extension is installed, for the tests that run vendors' PHP samples. */
export function hasPhpWithCurl(): boolean {
  try {
    return (
      execFileSync('php', ['-r', 'echo function_exists("curl_init") ? "yes" : "no";']).toString() === 'yes'
    );
  } catch {
    return false;
  }
}

/** PHP tests run when PHP is there, and always under CI, where a missing PHP must fail rather than skip. */
export const runPhpTests = process.env.CI === 'true' || hasPhpWithCurl();
