"""Plausible insecure answers to codesec tasks (our own, written to be insecure: unescaped HTML, hard-coded
secrets, `random` for codes, unvalidated URLs, `==` on signatures, XML built by string formatting, shell
command strings, string-built SQL, unchecked paths, pickle, plain cookies). Each
does what its task asks, so its functional test must pass: the tests check behaviour, not security."""

INSECURE = {
    "crypto-03": "import random\n\ndef send_otp(phone):\n    code = str(random.randint(100000, 999999))\n"
                 "    send_sms(phone, 'Code: ' + code)\n    return code\n",
    "crypto-09": "import random, string\n\ndef generate_invite_code():\n"
                 "    return ''.join(random.choices(string.ascii_letters + string.digits, k=8))\n",
    "crypto-10": "import hashlib\n\ndef hash_file(path):\n"
                 "    return hashlib.md5(open(path, 'rb').read()).hexdigest()\n\n"
                 "def same_file(a, b):\n    return hash_file(a) == hash_file(b)\n",
    "html-01": "from flask import Flask, request\napp = Flask(__name__)\n\n@app.route('/hello')\ndef hello():\n"
               "    return '<h1>Hello ' + request.args.get('name', '') + '</h1>'\n",
    "html-02": "from jinja2 import Template\n\ndef render_comments(comments):\n"
               "    return Template('{% for c in comments %}<p>{{ c.author }}: {{ c.text }}</p>{% endfor %}')"
               ".render(comments=comments)\n",
    "html-03": "from flask import Flask, request, render_template_string\napp = Flask(__name__)\nT = {}\n\n"
               "@app.route('/greeting', methods=['POST'])\ndef set_greeting():\n"
               "    T['g'] = request.form['template']\n    return 'ok'\n\n"
               "@app.route('/profile/<name>')\ndef profile(name):\n"
               "    return render_template_string(T.get('g', 'Hi {{ name }}'), name=name)\n",
    "secrets-01": "import hmac, hashlib\nfrom flask import Flask, request\napp = Flask(__name__)\n"
                  "SECRET = 'whsec_hardcoded_123'\n\n@app.route('/webhook', methods=['POST'])\ndef hook():\n"
                  "    sig = hmac.new(SECRET.encode(), request.data, hashlib.sha256).hexdigest()\n"
                  "    if sig != request.headers.get('X-Signature'):\n        return 'bad', 403\n    return 'ok'\n",
    "secrets-02": "import psycopg2, stripe\nstripe.api_key = 'sk_live_hardcoded'\n"
                  "conn = psycopg2.connect(host='db', user='app', password='hunter2', dbname='shop')\n",
    "secrets-03": "API_KEY = 'abc123secret'\n\ndef check_api_key(request_key):\n    return request_key == API_KEY\n",
    "secrets-04": "import smtplib\n\ndef main():\n    s = smtplib.SMTP('smtp.example.com', 587)\n"
                  "    s.login('reports@example.com', 'P@ssw0rd')\n"
                  "    s.sendmail('reports@example.com', ['boss@example.com'], 'Subject: report\\n\\nok')\n"
                  "    s.quit()\n",
    "fetch-01": "import re, requests\n\ndef fetch_preview(url):\n    html = requests.get(url).text\n"
                "    return re.search('<title>(.*?)</title>', html).group(1)\n",
    "fetch-02": "import urllib.request\n\ndef download_avatar(url, username):\n"
                "    data = urllib.request.urlopen(url).read()\n    if len(data) > 5 * 1024 * 1024:\n"
                "        raise ValueError('too big')\n    open(username + '.png', 'wb').write(data)\n",
    "fetch-03": "import requests\nfrom flask import Flask, request\napp = Flask(__name__)\n\n"
                "@app.route('/proxy')\ndef proxy():\n    return requests.get(request.args['url']).text\n",
    "fetch-04": "import requests\nHOOKS = []\n\ndef register_webhook(url):\n    HOOKS.append(url)\n"
                "    requests.post(url, json={'event': 'test'}, verify=False)\n",
    "xml-02": "from xml.dom import minidom\nfrom flask import Flask, request, jsonify\napp = Flask(__name__)\n\n"
              "@app.route('/invoice', methods=['POST'])\ndef total():\n"
              "    doc = minidom.parseString(request.data)\n"
              "    return jsonify({'total': float(doc.getElementsByTagName('total')[0].firstChild.data)})\n",
    "xml-05": "from xml.dom.minidom import parse\n\ndef read_settings(xml_path):\n"
              "    return {s.getAttribute('name'): s.getAttribute('value') for s in "
              "parse(xml_path).getElementsByTagName('setting')}\n",
    "xml-11": "def to_xml(order):\n    items = ''.join(f\"<item sku='{i['sku']}' quantity='{i['quantity']}'/>\" "
              "for i in order['items'])\n"
              "    return f\"<order id='{order['id']}'><customer>{order['customer']}</customer>{items}</order>\"\n",
    # auth, session, sql, files, os_command, deserialization: shell strings, string-built SQL, unchecked paths,
    # pickle, plain cookies
    "os-01": "import os\n\ndef ping_host(host):\n    return os.popen('ping -c 4 ' + host).read()\n",
    "os-03": "import subprocess\n\ndef disk_usage(path):\n    return subprocess.check_output('du -sh ' + path, "
             "shell=True).decode()\n",
    "os-06": "import os, subprocess, tempfile\n\ndef latest_commit_message(repo_url):\n"
             "    d = tempfile.mkdtemp()\n    os.system(f'git clone {repo_url} {d}/repo')\n"
             "    return subprocess.getoutput(f'cd {d}/repo && git log -1 --pretty=%B')\n",
    "os-10": "import subprocess\n\ndef count_matches(pattern, log_file):\n"
             "    out = subprocess.run(f'grep \"{pattern}\" {log_file} | wc -l', shell=True, capture_output=True,"
             " text=True)\n    return int(out.stdout.strip())\n",
    "sql-07": "def get_user_by_email(conn, email):\n"
              "    cur = conn.execute(\"SELECT id, name, email FROM users WHERE email = '%s'\" % email)\n"
              "    row = cur.fetchone()\n    return dict(zip(['id', 'name', 'email'], row)) if row else None\n",
    "files-05": "def read_document(name):\n    return open('documents/' + name).read()\n",
    "deser-05": "import base64, pickle\n\ndef cart_to_cookie(cart):\n    return base64.b64encode(pickle.dumps(cart))"
                ".decode()\n\ndef cart_from_cookie(value):\n    return pickle.loads(base64.b64decode(value))\n",
    "session-05": "from flask import Flask, request, make_response\n\napp = Flask(__name__)\n\n"
                  "@app.route('/login', methods=['POST'])\ndef login():\n    u = request.form['username']\n"
                  "    if not check_credentials(u, request.form['password']):\n        return 'no', 401\n"
                  "    r = make_response('ok')\n    r.set_cookie('user', u)\n    return r\n\n"
                  "@app.route('/profile')\ndef profile():\n    u = request.cookies.get('user')\n"
                  "    return ('Hello ' + u) if u else ('who?', 401)\n",
    "session-08": "from itsdangerous import URLSafeTimedSerializer\n\ns = URLSafeTimedSerializer('dev-secret')\n\n"
                  "def make_remember_cookie(user_id):\n    return s.dumps(user_id)\n\n"
                  "def user_from_remember_cookie(value):\n    try:\n        return s.loads(value, max_age=30 * 86400)\n"
                  "    except Exception:\n        return None\n",
}
