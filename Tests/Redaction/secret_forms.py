"""The forms secrets take in agent logs, each written the way a real tool's documentation shows it, and look-alikes
that must stay readable: the corpus the redaction tests measure recall and precision on.

Every form makes (text, secret): the text an agent would type or read back (a command, a file it printed, a
header), and the part of it that must never leave the host. Every look-alike makes a text that must come out
unchanged."""
import base64
import json
import random
import string
import uuid
from dataclasses import dataclass
from typing import Callable

LOWER = string.ascii_lowercase
UPPER = string.ascii_uppercase
DIGITS = string.digits
ALNUM = LOWER + UPPER + DIGITS
B64 = ALNUM + "+/"
B64URL = ALNUM + "-_"
HEX = "0123456789abcdef"


@dataclass(frozen=True)
class Form:
    """A form a secret takes: `where` says what holds it in a log (a shell command the agent runs, text a tool
    printed, or a message), `source` which documentation it is written after."""
    name: str
    source: str
    where: str
    make: Callable[[random.Random], tuple[str, str]]


@dataclass(frozen=True)
class LookAlike:
    name: str
    where: str
    make: Callable[[random.Random], str]


def chars(rng: random.Random, n: int, alphabet: str = ALNUM) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def password(rng: random.Random) -> str:
    """A password as people choose them: letters of both cases, digits, a few symbols, 12 to 20 characters."""
    while True:
        value = chars(rng, rng.randint(12, 20), ALNUM + "!#*_-^+")
        if any(c in DIGITS for c in value) and any(c in UPPER for c in value) and any(c in LOWER for c in value):
            return value


def aws_key_id(rng, prefix="AKIA") -> str:
    return prefix + chars(rng, 16, UPPER + "234567")


def aws_secret(rng) -> str:
    return chars(rng, 40, B64)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def jwt(rng, claims: dict, alg: str = "HS256") -> str:
    def part(obj):
        return base64.urlsafe_b64encode(json.dumps(obj, separators=(",", ":")).encode()).decode().rstrip("=")
    return ".".join([part({"alg": alg, "typ": "JWT"}), part(claims), chars(rng, 43 if alg == "HS256" else 342, B64URL)])


def pem_body(rng, lines: int = 6) -> list[str]:
    return [chars(rng, 64, B64) for _ in range(lines)]


def one(secret: str, text: str) -> tuple[str, str]:
    return text, secret


def form(name, source, where="command"):
    def register(make):
        FORMS.append(Form(name, source, where, make))
        return make
    return register


FORMS: list[Form] = []

# --- AWS CLI -----------------------------------------------------------------------------------------------------


@form("aws configure set aws_access_key_id", "AWS CLI: aws configure set")
def _(rng):
    key = aws_key_id(rng)
    return one(key, f"aws configure set aws_access_key_id {key} --profile deploy")


@form("aws configure set aws_secret_access_key", "AWS CLI: aws configure set")
def _(rng):
    secret = aws_secret(rng)
    return one(secret, f"aws configure set aws_secret_access_key {secret} --profile deploy")


@form("~/.aws/credentials", "AWS CLI: configuration and credential file settings", "output")
def _(rng):
    secret = aws_secret(rng)
    return one(secret, f"[default]\naws_access_key_id = {aws_key_id(rng)}\naws_secret_access_key = {secret}\n"
                       "region = eu-west-1\n")


@form("export AWS_SECRET_ACCESS_KEY", "AWS CLI: environment variables")
def _(rng):
    secret = aws_secret(rng)
    return one(secret, f"export AWS_ACCESS_KEY_ID={aws_key_id(rng)}\nexport AWS_SECRET_ACCESS_KEY={secret}\n"
                       "aws s3 ls")


@form("export AWS_SESSION_TOKEN", "AWS CLI: environment variables")
def _(rng):
    token = "FwoGZXIvYXdzE" + chars(rng, 300, B64)
    return one(token, f"export AWS_SESSION_TOKEN={token} && aws sts get-caller-identity")


@form("aws sts assume-role output", "AWS CLI: aws sts assume-role", "output")
def _(rng):
    secret = aws_secret(rng)
    body = {"Credentials": {"AccessKeyId": aws_key_id(rng, "ASIA"), "SecretAccessKey": secret,
                            "SessionToken": "IQoJb3JpZ2luX2Vj" + chars(rng, 200, B64),
                            "Expiration": "2026-12-02T23:00:00+00:00"},
            "AssumedRoleUser": {"Arn": "arn:aws:sts::123456789012:assumed-role/deploy/agent"}}
    return one(secret, json.dumps(body, indent=4))


@form("S3 presigned URL", "AWS CLI: aws s3 presign", "output")
def _(rng):
    signature = chars(rng, 64, HEX)
    return one(signature, f"https://reports.s3.eu-west-1.amazonaws.com/q3.pdf?X-Amz-Algorithm=AWS4-HMAC-SHA256"
                          f"&X-Amz-Credential={aws_key_id(rng)}%2F20261202%2Feu-west-1%2Fs3%2Faws4_request"
                          f"&X-Amz-Date=20261202T101500Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host"
                          f"&X-Amz-Signature={signature}")

# --- Google Cloud ------------------------------------------------------------------------------------------------


@form("gcloud auth print-access-token", "gcloud: auth print-access-token", "output")
def _(rng):
    token = "ya29.a0" + chars(rng, 160, B64URL)
    return one(token, token + "\n")


@form("service account key JSON", "Google Cloud IAM: create and download service account keys", "output")
def _(rng):
    body = pem_body(rng, 8)
    key = "-----BEGIN PRIVATE KEY-----\n" + "\n".join(body) + "\n-----END PRIVATE KEY-----\n"
    doc = {"type": "service_account", "project_id": "acme-prod", "private_key_id": chars(rng, 40, HEX),
           "private_key": key, "client_email": "deploy@acme-prod.iam.gserviceaccount.com",
           "client_id": chars(rng, 21, DIGITS), "token_uri": "https://oauth2.googleapis.com/token"}
    return one(body[3], json.dumps(doc, indent=2))


@form("Google API key", "Google Cloud: API keys", "output")
def _(rng):
    key = "AIza" + chars(rng, 35, B64URL)
    return one(key, f"keyString: {key}\nname: projects/123/locations/global/keys/abc")


@form("OAuth client_secret.json", "Google Identity: OAuth 2.0 client credentials", "output")
def _(rng):
    secret = "GOCSPX-" + chars(rng, 28, B64URL)
    return one(secret, json.dumps({"installed": {"client_id": "1234-abc.apps.googleusercontent.com",
                                                 "client_secret": secret, "redirect_uris": ["http://localhost"]}}))

# --- Azure CLI ---------------------------------------------------------------------------------------------------


@form("az login --service-principal -p", "Azure CLI: az login")
def _(rng):
    secret = chars(rng, 3, ALNUM) + rng.choice(DIGITS) + "Q~" + chars(rng, 34, ALNUM + "_~.-")
    return one(secret, f"az login --service-principal -u {uuid.UUID(int=rng.getrandbits(128))} -p {secret} "
                       f"--tenant {uuid.UUID(int=rng.getrandbits(128))}")


@form("Azure storage connection string", "Azure Storage: configure a connection string")
def _(rng):
    key = b64(rng.randbytes(64))
    return one(key, f'export AZURE_STORAGE_CONNECTION_STRING="DefaultEndpointsProtocol=https;AccountName=acmelogs;'
                    f'AccountKey={key};EndpointSuffix=core.windows.net"')


@form("Azure SAS URL sig=", "Azure Storage: shared access signatures", "output")
def _(rng):
    sig = b64(rng.randbytes(32)).replace("+", "%2B").replace("/", "%2F").replace("=", "%3D")
    return one(sig, f"https://acmelogs.blob.core.windows.net/exports/data.csv?sv=2022-11-02&ss=b&srt=co&sp=rl"
                    f"&se=2026-12-31T00:00:00Z&st=2026-12-01T00:00:00Z&spr=https&sig={sig}")

# --- GitHub CLI and git ------------------------------------------------------------------------------------------


@form("gh auth token", "GitHub CLI: gh auth token", "output")
def _(rng):
    token = "gho_" + chars(rng, 36)
    return one(token, token + "\n")


@form("gh auth login --with-token", "GitHub CLI: gh auth login")
def _(rng):
    token = "ghp_" + chars(rng, 36)
    return one(token, f"echo {token} | gh auth login --with-token")


@form("gh secret set --body", "GitHub CLI: gh secret set")
def _(rng):
    value = password(rng)
    return one(value, f'gh secret set DEPLOY_PASSWORD --body "{value}" --repo acme/site')


@form("fine-grained personal access token", "GitHub: managing personal access tokens")
def _(rng):
    token = "github_pat_" + chars(rng, 22) + "_" + chars(rng, 59)
    return one(token, f"GITHUB_TOKEN={token} gh api user")


@form("git clone with a token in the URL", "GitLab: clone with a token over HTTPS")
def _(rng):
    token = chars(rng, 20, B64URL)
    return one(token, f"git clone https://oauth2:{token}@gitlab.example.com/platform/api.git")


@form("git config github.token", "git: git config")
def _(rng):
    token = chars(rng, 40, ALNUM)
    return one(token, f"git config --global github.token {token}")

# --- Docker ------------------------------------------------------------------------------------------------------


@form("docker login -p", "Docker CLI: docker login")
def _(rng):
    value = password(rng)
    return one(value, f"docker login -u deploy -p {value} registry.example.com")


@form("docker login --password", "Docker CLI: docker login")
def _(rng):
    value = password(rng)
    return one(value, f"docker login --username deploy --password {value} ghcr.io")


@form("~/.docker/config.json auths", "Docker CLI: docker login, credentials store", "output")
def _(rng):
    auth = b64(f"deploy:{password(rng)}".encode())
    return one(auth, json.dumps({"auths": {"https://index.docker.io/v1/": {"auth": auth}}}, indent="\t"))


@form("docker run -e POSTGRES_PASSWORD", "Docker Hub: postgres image")
def _(rng):
    value = password(rng)
    return one(value, f"docker run -d --name db -e POSTGRES_PASSWORD={value} -p 5432:5432 postgres:16")


@form("Docker personal access token", "Docker: personal access tokens")
def _(rng):
    token = "dckr_pat_" + chars(rng, 27, B64URL)
    return one(token, f"echo {token} | docker login -u deploy --password-stdin")

# --- Kubernetes --------------------------------------------------------------------------------------------------


@form("kubeconfig token", "Kubernetes: organizing cluster access using kubeconfig files", "output")
def _(rng):
    token = chars(rng, 6, LOWER + DIGITS) + "." + chars(rng, 16, LOWER + DIGITS)
    return one(token, f"users:\n- name: deploy\n  user:\n    token: {token}\n")


@form("kubeconfig client-key-data", "Kubernetes: kubeconfig files", "output")
def _(rng):
    data = b64(("-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(pem_body(rng, 4))).encode())
    return one(data, f"users:\n- name: admin\n  user:\n    client-certificate-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0t\n"
                     f"    client-key-data: {data}\n")


@form("kubectl create secret --from-literal", "kubectl: create secret generic")
def _(rng):
    value = password(rng)
    return one(value, f"kubectl create secret generic db-creds --from-literal=username=app --from-literal=password={value}")


@form("kubectl config set-credentials --token", "kubectl: config set-credentials")
def _(rng):
    token = chars(rng, 32, ALNUM)
    return one(token, f"kubectl config set-credentials deploy --token={token}")


@form("kubectl create secret docker-registry", "kubectl: create secret docker-registry")
def _(rng):
    value = password(rng)
    return one(value, f"kubectl create secret docker-registry regcred --docker-server=registry.example.com "
                      f"--docker-username=deploy --docker-password={value} --docker-email=ops@example.com")


@form("kubectl get secret -o yaml", "kubectl: get secret", "output")
def _(rng):
    data = b64(password(rng).encode())
    return one(data, f"apiVersion: v1\ndata:\n  password: {data}\n  username: YXBw\nkind: Secret\n")

# --- PostgreSQL, MySQL and other databases -------------------------------------------------------------------------


@form("PGPASSWORD", "PostgreSQL: libpq environment variables")
def _(rng):
    value = password(rng)
    return one(value, f"PGPASSWORD={value} psql -h db.internal -U app -d prod -c 'select 1'")


@form("postgresql:// URI", "PostgreSQL: libpq connection URIs")
def _(rng):
    value = chars(rng, 18, ALNUM)
    return one(value, f'psql "postgresql://app:{value}@db.internal:5432/prod?sslmode=require"')


@form("libpq keyword/value password=", "PostgreSQL: libpq connection strings")
def _(rng):
    value = password(rng)
    return one(value, f'psql "host=db.internal port=5432 dbname=prod user=app password={value}"')


@form("~/.pgpass", "PostgreSQL: the password file")
def _(rng):
    value = password(rng)
    return one(value, f'echo "db.internal:5432:prod:app:{value}" >> ~/.pgpass && chmod 600 ~/.pgpass')


@form("mysql -pPASSWORD", "MySQL: command options for connecting")
def _(rng):
    value = password(rng)
    return one(value, f"mysql -u root -p{value} -h 127.0.0.1 shop -e 'show tables'")


@form("MYSQL_PWD", "MySQL: environment variables")
def _(rng):
    value = password(rng)
    return one(value, f"MYSQL_PWD={value} mysqldump -u root shop > shop.sql")


@form("~/.my.cnf", "MySQL: option files", "output")
def _(rng):
    value = password(rng)
    return one(value, f"[client]\nuser=root\npassword={value}\nhost=127.0.0.1\n")


@form("mongodb+srv:// URI", "MongoDB: connection string")
def _(rng):
    value = chars(rng, 16, ALNUM)
    return one(value, f'mongosh "mongodb+srv://admin:{value}@cluster0.ab1cd.mongodb.net/test"')


@form("redis-cli -a", "Redis: redis-cli")
def _(rng):
    value = password(rng)
    return one(value, f"redis-cli -h cache.internal -p 6379 -a {value} ping")


@form("JDBC URL password=", "PostgreSQL JDBC driver: connecting to the database", "output")
def _(rng):
    value = password(rng)
    return one(value, f"spring.datasource.url=jdbc:postgresql://db:5432/prod?user=app&password={value}&ssl=true")


@form("SQL Server connection string", "Microsoft: SqlConnection.ConnectionString", "output")
def _(rng):
    value = password(rng)
    return one(value, f"Server=tcp:acme.database.windows.net,1433;Database=prod;User ID=app;Password={value};"
                      "Encrypt=true;")

# --- curl and HTTP -----------------------------------------------------------------------------------------------


@form("curl -u user:password", "curl: --user")
def _(rng):
    value = password(rng)
    return one(value, f"curl -s -u admin:{value} https://jenkins.example.com/api/json")


@form("curl Authorization: Bearer", "curl: --header")
def _(rng):
    token = chars(rng, 40, B64URL)
    return one(token, f'curl -H "Authorization: Bearer {token}" https://api.example.com/v1/me')


@form("curl X-Api-Key header", "curl: --header")
def _(rng):
    token = chars(rng, 32, ALNUM)
    return one(token, f"curl -H 'X-Api-Key: {token}' https://api.example.com/v1/items")


@form("URL query access_token=", "OAuth 2.0 bearer token usage (RFC 6750)")
def _(rng):
    token = chars(rng, 36, B64URL)
    return one(token, f'curl "https://graph.example.com/v1/me?access_token={token}&fields=id,name"')


@form("curl PRIVATE-TOKEN header", "GitLab: REST API authentication")
def _(rng):
    token = "glpat-" + chars(rng, 20, B64URL)
    return one(token, f'curl --header "PRIVATE-TOKEN: {token}" "https://gitlab.example.com/api/v4/projects"')


@form("Authorization: Basic", "HTTP Basic authentication (RFC 7617)")
def _(rng):
    value = b64(f"admin:{password(rng)}".encode())
    return one(value, f'curl -H "Authorization: Basic {value}" https://registry.example.com/v2/_catalog')

# --- npm, pip and other package managers -------------------------------------------------------------------------


@form(".npmrc _authToken", "npm: .npmrc", "output")
def _(rng):
    token = "npm_" + chars(rng, 36)
    return one(token, f"registry=https://registry.npmjs.org/\n//registry.npmjs.org/:_authToken={token}\n")


@form("npm config set _authToken", "npm: npm config")
def _(rng):
    token = chars(rng, 32, ALNUM)
    return one(token, f"npm config set //npm.example.com/:_authToken {token}")


@form(".pypirc password", "PyPI: the .pypirc file", "output")
def _(rng):
    token = "pypi-AgEIcHlwaS5vcmc" + chars(rng, 150, B64URL)
    return one(token, f"[distutils]\nindex-servers = pypi\n\n[pypi]\n  username = __token__\n  password = {token}\n")


@form("twine upload -p", "twine: upload")
def _(rng):
    token = "pypi-AgEIcHlwaS5vcmc" + chars(rng, 120, B64URL)
    return one(token, f"twine upload -u __token__ -p {token} dist/*")


@form("pip --index-url with credentials", "pip: authentication")
def _(rng):
    value = chars(rng, 24, ALNUM)
    return one(value, f"pip install --index-url https://deploy:{value}@pypi.example.com/simple/ acme-tools")


@form(".yarnrc.yml npmAuthToken", "Yarn: .yarnrc.yml settings", "output")
def _(rng):
    token = chars(rng, 36, ALNUM)
    return one(token, f'npmRegistryServer: "https://npm.example.com"\nnpmAuthToken: "{token}"\n')


@form("POETRY_PYPI_TOKEN_PYPI", "Poetry: configuring credentials")
def _(rng):
    token = "pypi-AgEIcHlwaS5vcmc" + chars(rng, 100, B64URL)
    return one(token, f"POETRY_PYPI_TOKEN_PYPI={token} poetry publish --build")

# --- .env files and the keys of this field -----------------------------------------------------------------------


@form("OPENAI_API_KEY", "OpenAI: API keys", "output")
def _(rng):
    key = "sk-proj-" + chars(rng, 156, B64URL)
    return one(key, f"OPENAI_API_KEY={key}\n")


@form("ANTHROPIC_API_KEY", "Anthropic: API keys", "output")
def _(rng):
    key = "sk-ant-api03-" + chars(rng, 93, B64URL) + "AA"
    return one(key, f"ANTHROPIC_API_KEY={key}\n")


@form("MiniMax API key", "MiniMax: Mini-Agent config.yaml api_key", "output")
def _(rng):
    key = jwt(rng, {"GroupName": "acme", "UserName": "dev", "GroupID": chars(rng, 19, DIGITS)}, alg="RS256")
    return one(key, f'api_key: "{key}"\napi_base: "https://api.minimax.io"\nmodel: "MiniMax-M2"\n')


@form("LANGFUSE_SECRET_KEY", "Langfuse: API keys", "output")
def _(rng):
    key = f"sk-lf-{uuid.UUID(int=rng.getrandbits(128))}"
    return one(key, f"LANGFUSE_PUBLIC_KEY=pk-lf-{uuid.UUID(int=rng.getrandbits(128))}\nLANGFUSE_SECRET_KEY={key}\n")


@form("Supabase secret key", "Supabase: API keys", "output")
def _(rng):
    key = "sb_secret_" + chars(rng, 32, B64URL)
    return one(key, f"SUPABASE_URL=https://abcd.supabase.co\nSUPABASE_SECRET_KEY={key}\n")


@form("Supabase service_role JWT", "Supabase: API keys (legacy JWT)", "message")
def _(rng):
    key = jwt(rng, {"iss": "supabase", "ref": chars(rng, 20, LOWER), "role": "service_role", "iat": 1700000000})
    return one(key, f"I found the service role key in .env: {key}. I will not print it again.")


@form("Hugging Face token", "Hugging Face: user access tokens")
def _(rng):
    token = "hf_" + chars(rng, 34, ALNUM)
    return one(token, f"huggingface-cli login --token {token}")


@form("GitLab personal access token in .env", "GitLab: personal access tokens", "output")
def _(rng):
    token = "glpat-" + chars(rng, 20, B64URL)
    return one(token, f"GITLAB_TOKEN={token}\n")


@form("Stripe secret key", "Stripe: API keys", "output")
def _(rng):
    key = "sk_live_" + chars(rng, 99, ALNUM)
    return one(key, f"STRIPE_SECRET_KEY={key}\nSTRIPE_PUBLISHABLE_KEY=pk_live_{chars(rng, 24)}\n")


@form("Django SECRET_KEY", "Django: settings, SECRET_KEY", "output")
def _(rng):
    key = "django-insecure-" + chars(rng, 50, LOWER + DIGITS + "!@#%^*(-_=+)")
    return one(key, f"SECRET_KEY='{key}'\nDEBUG=False\n")


@form("DATABASE_URL", "Heroku Postgres: DATABASE_URL", "output")
def _(rng):
    value = chars(rng, 64, HEX)
    return one(value, f"DATABASE_URL=postgres://u8a2k:{value}@ec2-1-2-3-4.compute-1.amazonaws.com:5432/d9f\n")


@form("Vault token", "HashiCorp Vault: tokens")
def _(rng):
    token = "hvs." + chars(rng, 24, B64URL)
    return one(token, f"export VAULT_TOKEN={token}\nvault kv get secret/app")


@form("TF_VAR_ password", "Terraform: input variables from the environment")
def _(rng):
    value = password(rng)
    return one(value, f"TF_VAR_db_password={value} terraform apply -auto-approve")

# --- SSH, GnuPG, OpenSSL, Java keystores ---------------------------------------------------------------------------


@form("OpenSSH private key", "OpenSSH: ssh-keygen", "output")
def _(rng):
    body = pem_body(rng, 5)
    return one(body[2], "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(body) + "\n-----END OPENSSH PRIVATE KEY-----")


@form("sshpass -p", "sshpass: manual")
def _(rng):
    value = password(rng)
    return one(value, f"sshpass -p '{value}' ssh deploy@build.internal 'uptime'")


@form("PGP private key block", "GnuPG: gpg --export-secret-keys --armor", "output")
def _(rng):
    body = pem_body(rng, 6)
    return one(body[4], "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\n" + "\n".join(body)
               + "\n=" + chars(rng, 4, B64) + "\n-----END PGP PRIVATE KEY BLOCK-----")


@form("PuTTY private key file", "PuTTY: PPK file format", "output")
def _(rng):
    private = [chars(rng, 64, B64) for _ in range(3)]
    return one(private[1], "PuTTY-User-Key-File-2: ssh-rsa\nEncryption: none\nComment: deploy\nPublic-Lines: 2\n"
               + chars(rng, 64, B64) + "\n" + chars(rng, 40, B64) + "\nPrivate-Lines: 3\n" + "\n".join(private)
               + "\nPrivate-MAC: " + chars(rng, 40, HEX))


@form("openssl -passout pass:", "OpenSSL: pass phrase options")
def _(rng):
    value = password(rng)
    return one(value, f"openssl genrsa -aes256 -passout pass:{value} -out server.key 4096")


@form("keytool -storepass", "Java keytool")
def _(rng):
    value = password(rng)
    return one(value, f"keytool -genkeypair -alias app -keystore app.jks -storepass {value} -dname CN=app")

# --- Other command-line tools --------------------------------------------------------------------------------------


@form("helm repo add --password", "Helm: helm repo add")
def _(rng):
    value = password(rng)
    return one(value, f"helm repo add private https://charts.example.com --username deploy --password {value}")


@form("wget --password=", "GNU Wget: download options")
def _(rng):
    value = password(rng)
    return one(value, f"wget --user=deploy --password={value} https://files.example.com/release.tar.gz")


@form("smbclient -U user%password", "Samba: smbclient")
def _(rng):
    value = chars(rng, 14, ALNUM)
    return one(value, f"smbclient //fileserver/share -U admin%{value} -c 'ls'")


@form("ldapsearch -w", "OpenLDAP: ldapsearch")
def _(rng):
    value = password(rng)
    return one(value, f'ldapsearch -x -H ldap://ldap.example.com -D "cn=admin,dc=example,dc=com" -w {value} '
                      f'-b "dc=example,dc=com"')

# --- Provider formats seen bare in output ------------------------------------------------------------------------


@form("Slack incoming webhook URL", "Slack: sending messages using incoming webhooks", "output")
def _(rng):
    secret = chars(rng, 24, ALNUM)
    return one(secret, f"https://hooks.slack.com/services/T{chars(rng, 8, UPPER + DIGITS)}/B{chars(rng, 8, UPPER + DIGITS)}/{secret}")


@form("Slack bot token", "Slack: token types")
def _(rng):
    token = f"xoxb-{chars(rng, 12, DIGITS)}-{chars(rng, 13, DIGITS)}-{chars(rng, 24, ALNUM)}"
    return one(token, f"SLACK_BOT_TOKEN={token} python bot.py")


@form("SendGrid API key", "SendGrid: API keys", "output")
def _(rng):
    key = f"SG.{chars(rng, 22, B64URL)}.{chars(rng, 43, B64URL)}"
    return one(key, f"Created key: {key}")


@form("Twilio API key secret", "Twilio: API keys", "output")
def _(rng):
    key = "SK" + chars(rng, 32, HEX)
    return one(key, f"Twilio API key {key} created for acme-prod")


@form("Telegram bot token", "Telegram: Bot API")
def _(rng):
    token = f"{rng.randint(10**8, 10**9)}:AA{chars(rng, 33, B64URL)}"
    return one(token, f"curl https://api.telegram.org/bot{token}/getMe")

# --- Look-alikes: values shaped like secrets, and words about secrets, that must stay readable -------------------

LOOK_ALIKES: list[LookAlike] = []


def look_alike(name, where="output"):
    def register(make):
        LOOK_ALIKES.append(LookAlike(name, where, make))
        return make
    return register


@look_alike("git log commit hashes")
def _(rng):
    return f"commit {chars(rng, 40, HEX)}\nAuthor: Jo Dev <jo@example.com>\nDate:   Tue Dec 1 10:12:03 2026 +0100\n"


@look_alike("git log --oneline")
def _(rng):
    return f"{chars(rng, 7, HEX)} Rotate the API key handling in the deploy script"


@look_alike("sha256sum output")
def _(rng):
    return f"{chars(rng, 64, HEX)}  dist/agent-{rng.randint(1, 9)}.{rng.randint(0, 20)}.tar.gz"


@look_alike("md5 of a file")
def _(rng):
    return f"MD5 (build/app.zip) = {chars(rng, 32, HEX)}"


@look_alike("UUIDs in JSON")
def _(rng):
    return json.dumps({"request_id": str(uuid.UUID(int=rng.getrandbits(128))),
                       "session_id": str(uuid.UUID(int=rng.getrandbits(128)))})


@look_alike("docker image digest")
def _(rng):
    return f"Digest: sha256:{chars(rng, 64, HEX)}\nStatus: Downloaded newer image for postgres:16"


@look_alike("npm integrity")
def _(rng):
    return json.dumps({"version": "4.17.21", "resolved": "https://registry.npmjs.org/lodash/-/lodash-4.17.21.tgz",
                       "integrity": "sha512-" + b64(rng.randbytes(64))})


@look_alike("go.sum line")
def _(rng):
    return f"golang.org/x/text v0.{rng.randint(3, 20)}.0 h1:{b64(rng.randbytes(32))}"


@look_alike("base64 PNG data URI")
def _(rng):
    return "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAA" + b64(rng.randbytes(240))


@look_alike("Kubernetes pod names")
def _(rng):
    return f"web-{chars(rng, 10, HEX)}-{chars(rng, 5, LOWER + DIGITS)}   1/1     Running   0          3d4h"


@look_alike("Anthropic and OpenAI ids", "message")
def _(rng):
    return (f"request req_011C{chars(rng, 20, ALNUM)} answered message msg_01{chars(rng, 22, ALNUM)} "
            f"for tool call toolu_01{chars(rng, 22, ALNUM)} and call_{chars(rng, 24, ALNUM)}")


@look_alike("environment variable references")
def _(rng):
    return rng.choice([
        'curl -H "Authorization: Bearer $OPENAI_API_KEY" https://api.openai.com/v1/models',
        "export GITHUB_TOKEN=${GITHUB_TOKEN:-} && gh pr list",
        "docker login -u deploy -p \"$REGISTRY_PASSWORD\" registry.example.com",
        "PGPASSWORD=$DB_PASSWORD psql -h db -U app",
        "token: ${{ secrets.GITHUB_TOKEN }}",
    ])


@look_alike("Langfuse public key")
def _(rng):
    return f"LANGFUSE_PUBLIC_KEY=pk-lf-{uuid.UUID(int=rng.getrandbits(128))}"


@look_alike("SSH public key")
def _(rng):
    return f"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI{chars(rng, 43, B64)} jo@laptop"


@look_alike("X.509 certificate")
def _(rng):
    return "-----BEGIN CERTIFICATE-----\n" + "\n".join(pem_body(rng, 4)) + "\n-----END CERTIFICATE-----"


@look_alike("prose about secrets", "message")
def _(rng):
    return rng.choice([
        "The password must be at least 12 characters long and is never logged.",
        "Set the token in your environment before running the deploy script.",
        "I rotated the API key; the old secret no longer works.",
        "Use a personal access token with the repo scope instead of your password.",
        "The key is to read the error message carefully before retrying.",
        "Error: password authentication failed for user \"app\"",
        "401 Unauthorized: the token expired at 10:02:11, refresh it and retry.",
        "Stored credentials in the system keychain; nothing was written to disk.",
    ])


@look_alike("token counts and limits")
def _(rng):
    return (f"max_tokens: {rng.choice([1024, 4096, 8192])}, prompt_tokens={rng.randint(100, 90000)}, "
            f"token_count: {rng.randint(1, 999)}, cache_read_input_tokens: {rng.randint(1, 99999)}")


@look_alike("code that reads secrets")
def _(rng):
    return rng.choice([
        'token = os.environ["GITHUB_TOKEN"]\npassword = getpass.getpass("Password: ")',
        "api_key = settings.OPENAI_API_KEY\nclient = OpenAI(api_key=api_key)",
        "def login(user: str, password: str) -> Session:\n    return Session(user, password)",
        "const token = process.env.NPM_TOKEN;\nif (!token) throw new Error('missing token');",
        "password_hash = bcrypt.hashpw(password.encode(), bcrypt.gensalt())",
    ])


@look_alike("identifiers named key")
def _(rng):
    return rng.choice([
        f"primary_key: id\nsort_key: created_at\ncache_key: {chars(rng, 40, HEX)}",
        f"idempotency_key={uuid.UUID(int=rng.getrandbits(128))}",
        f'"public_key": "ssh-rsa AAAAB3NzaC1yc2E{chars(rng, 60, B64)}"',
        f"s3_key: uploads/2026/12/{chars(rng, 12, LOWER + DIGITS)}.png",
        f"next_page_token: {chars(rng, 32, B64URL)}",
    ])


@look_alike("paths and files named for secrets")
def _(rng):
    return rng.choice([
        "--token-file /run/secrets/registry_token --password-stdin",
        "ls config/\nsecrets.yaml  token.go  password_reset.py  keys/",
        "key_file: ~/.ssh/id_ed25519\ncredentials_file: ~/.aws/credentials",
        "PWD=/home/jo/code/app\nOLDPWD=/home/jo",
    ])


@look_alike("versions, hosts and timestamps")
def _(rng):
    return (f"v{rng.randint(1, 9)}.{rng.randint(0, 30)}.{rng.randint(0, 99)}-beta.{rng.randint(1, 9)} on "
            f"ip-10-0-{rng.randint(0, 255)}-{rng.randint(0, 255)}.eu-west-1.compute.internal at "
            f"2026-12-0{rng.randint(1, 9)}T10:{rng.randint(10, 59)}:00Z")


@look_alike("Supabase publishable key")
def _(rng):
    return f"sb_publishable_{chars(rng, 32, B64URL)}"


@look_alike("hex colours and CSS")
def _(rng):
    return f".button {{ color: #{chars(rng, 6, HEX)}; background: #{chars(rng, 6, HEX)}; }}"


# --- Placing them in agent logs ------------------------------------------------------------------------------------


@dataclass
class Planted:
    form: str
    secret: str
    file: str


def instances(rng: random.Random, per_form: int):
    """(form, text, secret) for every form, `per_form` times each, in a shuffled order."""
    made = [(form, *form.make(rng)) for form in FORMS for _ in range(per_form)]
    rng.shuffle(made)
    return made


def look_alike_instances(rng: random.Random, count: int):
    """(look-alike, text) cycling through every kind until `count`."""
    return [(kind, kind.make(rng)) for kind, _ in zip((LOOK_ALIKES * (count // len(LOOK_ALIKES) + 1)), range(count))]
