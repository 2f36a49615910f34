"""Compare two JUnit XML reports of the platform's nose2 suite: pristine (the baseline) and installed.

Usage: python3 compare_nose.py PRISTINE.xml INSTALLED.xml REMOVED_PREFIX...
Fails when the installed tree has a failing or erroring test that the pristine tree does not (tests whose
class starts with a removed prefix, the installer's deletions, are left out of the baseline), or when it
ran fewer of the remaining tests than the pristine tree.
"""

import sys
import xml.etree.ElementTree as ElementTree
from typing import Dict, Set, Tuple


def outcomes(path: str) -> Dict[Tuple[str, str], str]:
    """Map each test (class, name) of a report to ok, skipped, failure or error."""
    found = {}
    for case in ElementTree.parse(path).getroot().iter('testcase'):
        kinds = [child.tag for child in case if child.tag in ('failure', 'error', 'skipped')]
        found[(case.get('classname', ''), case.get('name', ''))] = kinds[0] if kinds else 'ok'
    return found


def broken(report: Dict[Tuple[str, str], str]) -> Set[Tuple[str, str]]:
    """Return the tests of a report that failed or erred."""
    return {test for test, kind in report.items() if kind in ('failure', 'error')}


def main() -> int:
    """Print the comparison; exit 1 on a failure beyond the baseline."""
    pristine, installed = outcomes(sys.argv[1]), outcomes(sys.argv[2])
    removed = tuple(sys.argv[3:])
    baseline = {test: kind for test, kind in pristine.items() if not test[0].startswith(removed)}
    new = sorted(broken(installed) - broken(baseline))
    missing = sorted(set(baseline) - set(installed))
    print(f'  pristine: {len(pristine)} tests, {len(pristine) - len(baseline)} of them removed with the old API, '
          f'{len(broken(baseline))} failing in the baseline: {sorted(t[1] for t in broken(baseline))}')
    print(f'  installed: {len(installed)} tests, {len(broken(installed))} failing, {len(new)} beyond the baseline, '
          f'{len(missing)} of the baseline not run')
    for test in new:
        print(f'  NEW FAILURE: {test[0]}.{test[1]}')
    for test in missing[:20]:
        print(f'  NOT RUN: {test[0]}.{test[1]}')
    return 1 if new or missing or not installed else 0


if __name__ == '__main__':
    sys.exit(main())
