import os, subprocess
def f(x):
    os.system("ls " + x)
def g(host):
    subprocess.run(f"ping -c 1 {host}", shell=True)
def g2(host):
    cmd = "ping " + host
    return subprocess.check_output(cmd, shell=True)
