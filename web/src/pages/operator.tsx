// The operator's view: counts (never health content), enrolment of a beneficiary file with
// its report of bad lines, import of the professionals' directory, the access matrix.
import { useEffect, useState } from 'preact/hooks';
import { FileField, Loading, Notice, Page, Progress } from '../components';
import { messages, t, type MessageKey } from '../messages';
import { ApiError, errorMessage, get, put, upload } from '../lib/api';
import { fileSize, frenchDateTime } from '../lib/format';

interface Statistics {
  spaces: Record<string, number>;
  activated: number;
  activated_last_30_days: number;
  professionals: number;
  professional_accounts: number;
  at: string;
}

const STATES = ['notified', 'open', 'opposed', 'closed'] as const;

export function OperatorHome() {
  const [stats, setStats] = useState<Statistics | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    get<Statistics>('/api/v1/operator/statistics').then(setStats, (e) => setError(errorMessage(e)));
  }, []);
  return (
    <Page title={t('operatorTitle')}>
      <p>{t('operatorIntro')}</p>
      {error && <Notice kind="error">{error}</Notice>}
      {!stats && !error && <Loading />}
      {stats && (
        <>
          <table class="chiffres">
            <caption>{t('statsCaption').replace('{at}', frenchDateTime(stats.at))}</caption>
            <tbody>
              {STATES.map((s) => (
                <tr key={s}>
                  <th scope="row">{t(`state_${s}`)}</th>
                  <td>{(stats.spaces[s] ?? 0).toLocaleString('fr-FR')}</td>
                </tr>
              ))}
              <tr>
                <th scope="row">{t('statsActivated')}</th>
                <td>{stats.activated.toLocaleString('fr-FR')}</td>
              </tr>
              <tr>
                <th scope="row">{t('statsActivated30')}</th>
                <td>{stats.activated_last_30_days.toLocaleString('fr-FR')}</td>
              </tr>
              <tr>
                <th scope="row">{t('statsProfessionals')}</th>
                <td>{stats.professionals.toLocaleString('fr-FR')}</td>
              </tr>
              <tr>
                <th scope="row">{t('statsProfessionalAccounts')}</th>
                <td>{stats.professional_accounts.toLocaleString('fr-FR')}</td>
              </tr>
            </tbody>
          </table>
        </>
      )}
    </Page>
  );
}

interface LineReport {
  line: number;
  status: 'enrolled' | 'already_enrolled' | 'objected' | 'invalid';
  reason?: string;
  space_id?: string;
}
interface Summary {
  lines: number;
  enrolled: number;
  already_enrolled: number;
  objected: number;
  invalid: number;
}

function FileUpload(props: {
  id: string;
  label: string;
  hint: string;
  accept: string;
  path: string;
  contentType: string;
  submit: string;
  onAnswer: (text: string) => void;
  onError: (message: string) => void;
}) {
  const [file, setFile] = useState<File | null>(null);
  const [progress, setProgress] = useState<number | null>(null);
  const [fieldError, setFieldError] = useState('');
  async function send(event: Event) {
    event.preventDefault();
    if (!file) {
      setFieldError(t('uploadNoFile'));
      return;
    }
    setFieldError('');
    setProgress(0);
    try {
      const { done } = upload(props.path, file, props.contentType, setProgress);
      props.onAnswer((await done).text);
    } catch (e) {
      props.onError(e instanceof ApiError && e.status === 400 && e.detail ? `${t('operatorFileRefused')} ${e.detail}` : errorMessage(e));
    } finally {
      setProgress(null);
    }
  }
  return (
    <form onSubmit={send} noValidate>
      <FileField id={props.id} label={props.label} hint={props.hint} error={fieldError} accept={props.accept} onFile={setFile} />
      {file && <p class="aide">{t('operatorFileChosen').replace('{name}', file.name).replace('{size}', fileSize(file.size))}</p>}
      {progress !== null && <Progress label={t('uploadProgress')} fraction={progress} id={`${props.id}-progression`} />}
      {progress === 1 && <p role="status">{t('operatorProcessing')}</p>}
      <button type="submit" class="principal" disabled={progress !== null}>
        {props.submit}
      </button>
    </form>
  );
}

// The lines a file's import refused: number, what happened, why (the server's words).
function BadLines(props: { lines: { line: number; status?: string; reason?: string }[] }) {
  if (props.lines.length === 0) return null;
  const withStatus = props.lines.some((l) => l.status);
  return (
    <table>
      <caption>{t('enrolBadLines')}</caption>
      <thead>
        <tr>
          <th scope="col">{t('enrolLine')}</th>
          {withStatus && <th scope="col">{t('enrolStatus')}</th>}
          <th scope="col">{t('enrolReason')}</th>
        </tr>
      </thead>
      <tbody>
        {props.lines.map((b) => (
          <tr key={b.line}>
            <td>{b.line}</td>
            {withStatus && <td>{b.status === 'objected' ? t('enrolObjected') : t('enrolInvalid')}</td>}
            <td lang="en">{b.reason}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function OperatorEnrol() {
  const [summary, setSummary] = useState<Summary | null>(null);
  const [bad, setBad] = useState<LineReport[]>([]);
  const [error, setError] = useState('');

  function read(text: string) {
    const lines = text.split('\n').filter(Boolean);
    const problems: LineReport[] = [];
    let s: Summary | null = null;
    for (const l of lines) {
      const o = JSON.parse(l) as LineReport & { summary?: Summary };
      if (o.summary) s = o.summary;
      else if (o.status === 'invalid' || o.status === 'objected') problems.push(o);
    }
    setBad(problems);
    setSummary(s);
    setError('');
  }

  return (
    <Page title={t('enrolTitle')} wide>
      <p>{t('enrolIntro')}</p>
      {error && <Notice kind="error">{error}</Notice>}
      <FileUpload
        id="fichier-inscriptions"
        label={t('enrolFile')}
        hint={t('enrolFileHint')}
        accept=".csv,text/csv"
        path="/api/v1/operator/enrolments"
        contentType="text/csv"
        submit={t('enrolSubmit')}
        onAnswer={read}
        onError={(m) => {
          setSummary(null);
          setError(m);
        }}
      />
      {summary && (
        <section aria-labelledby="rapport-titre" class="rapport">
          <h2 id="rapport-titre">{t('enrolReport')}</h2>
          <Notice kind={summary.invalid ? 'info' : 'success'}>
            {t('enrolSummary')
              .replace('{lines}', String(summary.lines))
              .replace('{enrolled}', String(summary.enrolled))
              .replace('{already}', String(summary.already_enrolled))
              .replace('{objected}', String(summary.objected))
              .replace('{invalid}', String(summary.invalid))}
          </Notice>
          <BadLines lines={bad} />
        </section>
      )}
    </Page>
  );
}

interface DirectoryReport {
  summary: {
    lines: number;
    invalid: number;
    practitioners: { created: number; updated: number; deactivated: number };
    roles: { created: number; updated: number; deactivated: number };
    organizations: { created: number; updated: number };
  };
  invalid_lines: { line: number; reason: string }[];
}

export function OperatorDirectory() {
  const [report, setReport] = useState<DirectoryReport | null>(null);
  const [error, setError] = useState('');
  const s = report?.summary;
  return (
    <Page title={t('directoryTitle')} wide>
      <p>{t('directoryIntro')}</p>
      {error && <Notice kind="error">{error}</Notice>}
      <FileUpload
        id="fichier-annuaire"
        label={t('directoryFile')}
        hint={t('directoryFileHint')}
        accept=".txt,.csv,text/plain,text/csv"
        path="/api/v1/operator/directory"
        contentType="text/plain"
        submit={t('directorySubmit')}
        onAnswer={(text) => {
          setReport(JSON.parse(text) as DirectoryReport);
          setError('');
        }}
        onError={(m) => {
          setReport(null);
          setError(m);
        }}
      />
      {s && (
        <section aria-labelledby="rapport-annuaire" class="rapport">
          <h2 id="rapport-annuaire">{t('directoryReport')}</h2>
          <Notice kind={s.invalid ? 'info' : 'success'}>
            {t('directoryDone')
              .replace('{lines}', String(s.lines))
              .replace('{created}', String(s.practitioners.created))
              .replace('{updated}', String(s.practitioners.updated))
              .replace('{deactivated}', String(s.practitioners.deactivated))
              .replace('{invalid}', String(s.invalid))}
          </Notice>
          <BadLines lines={report.invalid_lines} />
        </section>
      )}
    </Page>
  );
}

interface MatrixRow {
  profession_code: string;
  profession_label: string;
  category: string;
  allowed: boolean;
}

function categoryLabel(c: string): string {
  const key = `cat_${c.replace(/-/g, '_')}`;
  return key in messages ? t(key as MessageKey) : c;
}

export function OperatorMatrix() {
  const [rows, setRows] = useState<MatrixRow[] | null>(null);
  const [message, setMessage] = useState<{ kind: 'success' | 'error'; text: string } | null>(null);
  useEffect(() => {
    get<{ rows: MatrixRow[] }>('/api/v1/operator/access-matrix').then(
      (r) => setRows(r.rows),
      (e) => setMessage({ kind: 'error', text: errorMessage(e) }),
    );
  }, []);
  if (!rows) {
    return (
      <Page title={t('matrixTitle')}>
        {message ? <Notice kind={message.kind}>{message.text}</Notice> : <Loading />}
      </Page>
    );
  }
  const professions = [...new Map(rows.map((r) => [r.profession_code, r.profession_label])).entries()];
  const categories = [...new Set(rows.map((r) => r.category))];
  const allowed = new Map(rows.map((r) => [`${r.profession_code}|${r.category}`, r.allowed]));

  function toggle(code: string, category: string) {
    setRows(rows!.map((r) => (r.profession_code === code && r.category === category ? { ...r, allowed: !r.allowed } : r)));
  }

  async function save(event: Event) {
    event.preventDefault();
    try {
      await put('/api/v1/operator/access-matrix', { rows });
      setMessage({ kind: 'success', text: t('matrixSaved') });
    } catch (e) {
      setMessage({ kind: 'error', text: errorMessage(e) });
    }
  }

  return (
    <Page title={t('matrixTitle')} wide>
      <p>{t('matrixIntro')}</p>
      {message && <Notice kind={message.kind}>{message.text}</Notice>}
      <form onSubmit={save}>
        <div class="defilement" tabIndex={0} role="region" aria-label={t('matrixTitle')}>
          <table class="matrice">
            <caption class="sr-only">{t('matrixCaption')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('matrixProfession')}</th>
                {categories.map((c) => (
                  <th scope="col" key={c}>
                    {categoryLabel(c)}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {professions.map(([code, label]) => (
                <tr key={code}>
                  <th scope="row">{label}</th>
                  {categories.map((c) => (
                    <td key={c}>
                      <input
                        type="checkbox"
                        id={`m-${code}-${c}`}
                        checked={allowed.get(`${code}|${c}`) ?? false}
                        onChange={() => toggle(code, c)}
                        aria-label={t('matrixCell').replace('{profession}', label).replace('{category}', categoryLabel(c))}
                      />
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <button type="submit" class="principal">
          {t('matrixSave')}
        </button>
      </form>
    </Page>
  );
}
