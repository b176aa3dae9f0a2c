"Packaging for the book's library: everything is read from settings.ini (nbdev 2 layout)."
import shlex
from configparser import ConfigParser
import setuptools

config = ConfigParser(delimiters=['='])
config.read('settings.ini', encoding='utf-8')
cfg = config['DEFAULT']

expected = ('version description keywords author author_email lib_name lib_path user branch license status '
            'min_python audience language git_url').split()
for o in expected: assert o in cfg, f'missing expected setting: {o}'

# settings.ini's license (nbdev's short name) as an SPDX expression: the form packaging tools now expect, in place
# of the deprecated License :: classifiers
spdx = {'mit': 'MIT', 'apache2': 'Apache-2.0', 'gpl3': 'GPL-3.0-only', 'bsd3': 'BSD-3-Clause'}
statuses = ['1 - Planning', '2 - Pre-Alpha', '3 - Alpha', '4 - Beta', '5 - Production/Stable', '6 - Mature', '7 - Inactive']
py_versions = '3.10 3.11 3.12 3.13'.split()
min_python = cfg['min_python']
lib_path = cfg['lib_path']

# package_data patterns are relative to lib_path (e.g. `_data/*`). A data folder is declared as a package of its own
# (`autograd._data`) holding those files: setuptools then ships them without warning that the folder is importable
# but absent from `packages`.
data = {}
for pattern in shlex.split(cfg.get('package_data', '')):
    folder, _, files = pattern.rpartition('/')
    data.setdefault('.'.join([lib_path] + [f for f in folder.split('/') if f]), []).append(files)
packages = setuptools.find_packages(include=[lib_path, lib_path + '.*'])
packages += [p for p in data if p not in packages]

setuptools.setup(
    name=cfg['lib_name'],
    version=cfg['version'],
    description=cfg['description'],
    keywords=cfg['keywords'],
    author=cfg['author'],
    author_email=cfg['author_email'],
    license_expression=spdx.get(cfg['license'].lower(), cfg['license']),
    license_files=['LICENSE'],
    classifiers=['Development Status :: ' + statuses[int(cfg['status'])],
                 'Intended Audience :: ' + cfg['audience'].title(),
                 'Natural Language :: ' + cfg['language'].title()]
                + [f'Programming Language :: Python :: {o}' for o in py_versions[py_versions.index(min_python):]],
    url=cfg['git_url'],
    project_urls={'Documentation': cfg['doc_host'] + cfg['doc_baseurl'], 'Source': cfg['git_url']},
    packages=packages,
    package_dir={'': '.'},  # the packages sit at the root: an editable install is then a plain .pth entry, with no notice
    include_package_data=True,
    # keyed by package (lib_path based), not lib_name: the two differ here, and a lib_name key would drop the data
    package_data=data,
    install_requires=shlex.split(cfg.get('requirements', '')),
    extras_require={'dev': shlex.split(cfg.get('dev_requirements', ''))},
    python_requires='>=' + min_python,
    long_description=open('README.md', encoding='utf-8').read(),
    long_description_content_type='text/markdown',
    zip_safe=False,
    entry_points={'console_scripts': shlex.split(cfg.get('console_scripts', '')),
                  'nbdev': [f'{lib_path}={lib_path}._modidx:d']},
)
