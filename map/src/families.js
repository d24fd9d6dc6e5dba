// Arc colours by the attacked port's service family, with the legend's labels.

const FAMILIES = [
  { name: 'SSH / Telnet', color: '#ff5f56', ports: [22, 23, 2222, 2223, 2323] },
  { name: 'Web', color: '#ffbd2e', ports: [80, 81, 443, 8000, 8080, 8081, 8443, 8888] },
  { name: 'Mail', color: '#b48cff', ports: [25, 110, 143, 465, 587, 993, 995] },
  { name: 'Windows / SMB', color: '#27c9ff', ports: [135, 137, 139, 445, 3389] },
  {
    name: 'Databases',
    color: '#3ddc84',
    ports: [1433, 1521, 3306, 5432, 6379, 9200, 11211, 27017],
  },
];
const OTHER = { name: 'Other', color: '#d0d7e2' };

const byPort = new Map(FAMILIES.flatMap((f) => f.ports.map((p) => [p, f])));

/** The family of a target port (`Other` when unknown). */
export function familyOf(port) {
  return byPort.get(port) ?? OTHER;
}

/** Every family, in legend order. */
export const LEGEND = [...FAMILIES, OTHER];
