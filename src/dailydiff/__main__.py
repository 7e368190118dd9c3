from dailydiff.launch import main

main()
