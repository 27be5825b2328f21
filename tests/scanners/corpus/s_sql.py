def get(conn, name):
    q = "SELECT * FROM users WHERE name = ?"
    return conn.execute(q, (name,)).fetchall()
