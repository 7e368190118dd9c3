from dailydiff.cli import main

main()
