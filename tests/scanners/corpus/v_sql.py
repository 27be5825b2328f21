import sqlite3
def get(conn, name):
    cur = conn.cursor()
    cur.execute(f"SELECT * FROM users WHERE name = '{name}'")
    cur.execute("SELECT * FROM users WHERE name = '%s'" % name)
    q = "SELECT * FROM t WHERE id = " + str(name)
    conn.execute(q)
    q2 = "SELECT * FROM t WHERE id = {}".format(name)
    return conn.execute(q2).fetchall()
