import { resolve } from 'node:path'
import { Option } from 'commander'
import { CkitError } from '../../errors.js'
import { MOCK_DEFAULTS } from '../../mock/options.js'
import type { StartMockOptions } from '../../mock/index.js'
import type { ReloadResult } from '../../mock/watch.js'
import { buildSignedRequest, HEADERS } from '../../signature/index.js'
import type { CommandSpec } from '../command.js'
import { EXIT } from '../exit-codes.js'
import { wholeNumberOption } from '../parse.js'
import { shellQuote } from '../format.js'
import { readYamlOption, serveUntilShutdown, type Io } from '../io.js'
import { SECRET_ENV } from './sign.js'

const LOG_KINDS = ['pretty', 'json', 'off'] as const
/** Read when --admin-token is omitted, so the token stays out of `ps` and shell history. */
const ADMIN_TOKEN_ENV = 'CKIT_ADMIN_TOKEN'

/**
 * Every `ckit mock` option can come from the environment, because a CI service container cannot
 * take command arguments. Flags win over these, and these over a --config file.
 */
interface MockFlags {
  readonly watch?: true
  readonly port?: number
  readonly host?: string
  readonly basePath?: string
  readonly secret?: string
  /** False with --no-verify. */
  readonly verify: boolean
  readonly seed?: number
  readonly data?: string
  readonly scenario?: string
  readonly config?: string
  readonly tolerance?: number
  readonly budgetMs?: number
  readonly adminToken?: string
  readonly log?: (typeof LOG_KINDS)[number]
  readonly json?: true
}
type EnvFlag = Exclude<keyof MockFlags, 'watch' | 'secret' | 'verify' | 'json'>

export const MOCK_ENV: { readonly [K in EnvFlag]: { readonly name: string; readonly parse?: (value: string) => MockFlags[K] } } = {
  port: { name: 'CKIT_PORT', parse: wholeNumberOption('CKIT_PORT', 0, 65535) },
  host: { name: 'CKIT_HOST' },
  basePath: { name: 'CKIT_BASE_PATH' },
  seed: { name: 'CKIT_SEED', parse: wholeNumberOption('CKIT_SEED', 0, 2 ** 31 - 1) },
  data: { name: 'CKIT_DATA' },
  scenario: { name: 'CKIT_SCENARIO' },
  config: { name: 'CKIT_CONFIG' },
  tolerance: { name: 'CKIT_TOLERANCE', parse: wholeNumberOption('CKIT_TOLERANCE', 0, 31_536_000) },
  budgetMs: { name: 'CKIT_BUDGET_MS', parse: wholeNumberOption('CKIT_BUDGET_MS', 1, 60_000) },
  log: { name: 'CKIT_LOG', parse: oneOf('CKIT_LOG', LOG_KINDS) },
  adminToken: { name: ADMIN_TOKEN_ENV },
}

function oneOf<T extends string>(name: string, choices: readonly T[]) {
  return (value: string): T => {
    if (!(choices as readonly string[]).includes(value)) throw new CkitError('CKIT_CLI_USAGE', `${name} must be one of ${choices.join(', ')}, instead got ${JSON.stringify(value)}`)
    return value as T
  }
}

/** The flags given, completed from MOCK_ENV for those not given (an empty variable counts as unset). */
function withEnvironment(options: MockFlags, env: Io['env']): MockFlags {
  const merged: Record<string, unknown> = { ...options }
  for (const [key, { name, parse }] of Object.entries(MOCK_ENV)) {
    const value = env[name]
    if (merged[key] === undefined && value !== undefined && value !== '') merged[key] = parse ? parse(value) : value
  }
  // Each variable went through its flag's own parser, so every key holds its flag's type.
  return merged as unknown as MockFlags
}

const envNote = (key: EnvFlag): string => ` [env ${MOCK_ENV[key].name}]`

/** `ckit mock init <dir>`: the shipped defaults, copied to edit; never over an existing folder. */
async function initDataFolder(io: Io, dir: string): Promise<number> {
  const { cp, lstat } = await import('node:fs/promises')
  const { readErrorReason } = await import('../../files.js')
  const { DEFAULT_DATA_DIR } = await import('../../mock/data.js')
  const target = resolve(io.cwd, dir)
  // lstat, not exists: a dangling symbolic link "does not exist", and copying onto it used to
  // fail inside cp with a stack trace (exit 70).
  const existing = await lstat(target).then(
    (stats) => stats,
    (cause: NodeJS.ErrnoException) => {
      if (cause.code === 'ENOENT') return undefined
      throw new CkitError('CKIT_CLI_USAGE', `cannot create ${dir}: ${readErrorReason(cause)}`, { cause })
    },
  )
  if (existing) throw new CkitError('CKIT_CLI_USAGE', `${dir} already exists${existing.isSymbolicLink() ? ' (a symbolic link)' : ''}: choose a new folder`)
  try {
    await cp(DEFAULT_DATA_DIR, target, { recursive: true, errorOnExist: true, force: false })
  } catch (cause) {
    throw new CkitError('CKIT_CLI_USAGE', `cannot create ${dir}: ${readErrorReason(cause)}`, { cause })
  }
  io.stderr.write(`created ${dir} from the defaults: customers/, customer.schema.json, sections.json, scenarios.yaml\nserve it with: ckit mock --data ${dir} --watch\n`)
  return EXIT.ok
}

/**
 * The mock options a --config file may set: every embedded default (maxUrlBytes is a fixed limit,
 * not an option) plus those without one. Derived, so a new option cannot be forgotten here.
 */
const CONFIG_KEYS = new Set([...Object.keys(MOCK_DEFAULTS).filter((key) => key !== 'maxUrlBytes'), 'verify', 'dataDir', 'scenario'])

/** --config: a JSON or YAML file of mock options; command-line flags override it. */
async function readConfig(io: Io, file: string | undefined): Promise<Record<string, unknown>> {
  if (file === undefined) return {}
  const value = await readYamlOption(io, '--config', file)
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new CkitError('CKIT_CLI_USAGE', `--config ${file} must hold an object of mock options`)
  for (const key of Object.keys(value)) if (!CONFIG_KEYS.has(key)) throw new CkitError('CKIT_CLI_USAGE', `--config ${file}: unknown option ${JSON.stringify(key)} (known: ${[...CONFIG_KEYS].join(', ')})`)
  const config = value as Record<string, unknown>
  if (typeof config['dataDir'] === 'string') config['dataDir'] = resolve(io.cwd, config['dataDir'])
  return config
}

export const mockCommand: CommandSpec<MockFlags> = {
  name: 'mock',
  summary: 'serve the faker-powered mock customer endpoint with fault scenarios, journal, admin API and docs',
  examples: ['ckit mock', 'ckit mock --port 0 --seed 42 --scenario "delay:500" --json', 'ckit mock init ./my-mocks && ckit mock --data ./my-mocks --watch'],
  exitCodes: { ok: 'stopped cleanly', usage: 'bad option or mock data (the message names the file and pointer)' },
  define: (command) =>
    command
      .argument('[init]', '"init": create a data folder from the shipped defaults, to edit (ckit mock init <dir>)')
      .argument('[dir]', 'with init: the folder to create')
      .option('--watch', 'with --data: apply edits to the data folder while running (all or nothing; an invalid edit keeps the last good data)')
      .option('--port <port>', `port to listen on, 0 for any free port (default ${MOCK_DEFAULTS.port})${envNote('port')}`, wholeNumberOption('--port', 0, 65535))
      .option('--host <host>', `address to bind (default ${MOCK_DEFAULTS.host}; 0.0.0.0 in a container)${envNote('host')}`)
      .option('--base-path <path>', `path of the customer-connection route (default ${MOCK_DEFAULTS.basePath})${envNote('basePath')}`)
      .option('--secret <secret>', `signing secret (default $${SECRET_ENV}, else the public test secret "${MOCK_DEFAULTS.secret}")`)
      .option('--no-verify', 'accept unsigned requests')
      .option('--seed <n>', `seed for generated customers and scenario probabilities (default ${MOCK_DEFAULTS.seed})${envNote('seed')}`, wholeNumberOption('--seed', 0, 2 ** 31 - 1))
      .option('--data <dir>', `mock data folder (default: the mocks/ shipped with connection-kit)${envNote('data')}`)
      .option('--scenario <name>', `global scenario, e.g. ok, timeout, status:503, drip:5:200 (default: scenarios.yaml)${envNote('scenario')}`)
      .option('--config <file>', `JSON or YAML file of mock options; flags and environment variables override it${envNote('config')}`)
      .option('--tolerance <seconds>', `refuse request contexts whose requested_at is further than this from now (default ${MOCK_DEFAULTS.toleranceSeconds})${envNote('tolerance')}`, wholeNumberOption('--tolerance', 0, 31_536_000))
      .option('--budget-ms <ms>', `the help desk's answer budget the timeout scenario overruns by 500 ms (default ${MOCK_DEFAULTS.budgetMs})${envNote('budgetMs')}`, wholeNumberOption('--budget-ms', 1, 60_000))
      .option('--admin-token <token>', `require Authorization: Bearer <token> on /__admin (default $${ADMIN_TOKEN_ENV}); set it whenever --host is not loopback`)
      .addOption(new Option('--log <kind>', `request logs on stderr (default: pretty on a terminal, json otherwise)${envNote('log')}`).choices([...LOG_KINDS]))
      .option('--json', 'print one JSON line with url, secret and a signed curl line on stdout once listening')
      .addHelpText(
        'after',
        '\nThe banner and logs go to stderr; stop with Ctrl-C (SIGINT) or SIGTERM.',
      ),
  async run([action, dir], given, io) {
    if (action !== undefined) {
      if (action !== 'init' || dir === undefined) throw new CkitError('CKIT_CLI_USAGE', 'ckit mock takes no arguments, except: ckit mock init <dir>')
      return initDataFolder(io, dir)
    }
    const options = withEnvironment(given, io.env)
    if (options.watch && options.data === undefined) throw new CkitError('CKIT_CLI_USAGE', '--watch needs --data <dir> (ckit mock init <dir> creates one from the defaults)')
    const config = await readConfig(io, options.config)
    const verify = options.verify === false ? false : ((config['verify'] as boolean | undefined) ?? true)
    const chosenSecret = options.secret ?? (io.env[SECRET_ENV] || undefined) ?? (config['secret'] as string | undefined)
    const secret = verify ? (chosenSecret ?? MOCK_DEFAULTS.secret) : undefined
    // Only the public test secret is printed: one the user chose stays out of terminals and CI logs.
    const printableSecret = verify && chosenSecret === undefined ? secret : undefined
    const logKind = options.log ?? (io.stderr.isTTY ? 'pretty' : 'json')
    // Commander camel-cases --base-path and --admin-token, so every flag below is named like its config key.
    const flags: Record<string, unknown> = {}
    for (const key of ['port', 'host', 'basePath', 'seed', 'scenario', 'adminToken', 'budgetMs'] as const) if (options[key] !== undefined) flags[key] = options[key]
    if (options.tolerance !== undefined) flags['toleranceSeconds'] = options.tolerance
    const dataDir = options.data === undefined ? undefined : resolve(io.cwd, options.data)
    if (dataDir !== undefined) flags['dataDir'] = dataDir
    const mockOptions: StartMockOptions = {
      ...config,
      ...flags,
      verify,
      ...(secret !== undefined ? { secret } : {}),
      logger: logKind === 'off' ? false : logKind,
      ...(options.watch ? { watch: (result: ReloadResult) => io.stderr.write(result.ok ? `reloaded ${dataDir}\n` : `not reloaded, still serving the last good data: ${result.message}\n`) } : {}),
    }
    // Imported here so that other commands never load fastify.
    const [{ startMock }, { deskPlugin }] = await Promise.all([import('../../mock/index.js'), import('../../desk/plugin.js')])
    let mock
    try {
      mock = await startMock({ ...mockOptions, desk: deskPlugin })
    } catch (error) {
      const err = error as NodeJS.ErrnoException
      if (err.code === 'EADDRINUSE' || err.code === 'EACCES' || err.code === 'EADDRNOTAVAIL') throw new CkitError('CKIT_CLI_USAGE', `cannot listen: ${err.message}`, { cause: error })
      throw error
    }
    // Time from process start to listening, as the process itself sees it (no spawn or pipe overhead).
    const startedInMs = Math.round(process.uptime() * 1000)
    const request = buildSignedRequest({
      url: mock.url,
      secret: secret ?? 'unsigned',
      context: { reason: 'conversation_viewed', requested_at: new Date().toISOString(), inbox: { slug: 'support' }, conversation: { id: 'conv_1', title: 'Hello' }, requester: { email: 'kelly@example.com', name: 'Kelly Customer' } },
    })
    // The mock speaks of its options; here they are flags (or the variable that stands for one).
    const warnings = mock.warnings.map((warning) => warning.replace(/\badminToken\b/g, `--admin-token ($${ADMIN_TOKEN_ENV})`))
    const curl = `curl -sS ${secret ? `-H ${shellQuote(`${HEADERS.signature}: ${request.signature}`)} ` : ''}${shellQuote(request.url)}`
    io.stderr.write(
      [
        `connection-kit mock customer endpoint listening on ${mock.url} (${startedInMs} ms after start)`,
        `  signing secret: ${secret === undefined ? '(not verifying signatures)' : (printableSecret ?? '(yours, not shown)')}`,
        `  try:            ${curl}`,
        `  preview:        ${mock.origin}/__admin/preview?email=kelly@example.com`,
        `  admin, docs:    ${mock.origin}/__admin  ${mock.origin}/docs  ${mock.origin}/openapi.json`,
        ...warnings.map((warning) => `  WARNING:        ${warning}`),
        '',
      ].join('\n'),
    )
    if (options.json) io.stdout.write(`${JSON.stringify({ url: mock.url, origin: mock.origin, secret: printableSecret ?? null, curl, startedInMs, warnings })}\n`)
    return serveUntilShutdown(io, () => mock.close())
  },
}
