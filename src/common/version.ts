/** The version of Sluice, as package.json states it (a test keeps them equal). */
export const SLUICE_VERSION = '0.1.0';
